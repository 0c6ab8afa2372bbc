"""validate on arbitrary input: always a list of SpecError, never an exception (hypothesis)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asyncgen.document import Document, from_data
from asyncgen.errors import SpecError, SpecErrors
from asyncgen.load import load_data
from asyncgen.validate import validate

#: field names of the spec families, so random documents reach deep into the tables
WORDS = [
    "info", "title", "version", "servers", "host", "url", "protocol", "variables", "enum", "default",
    "channels", "address", "messages", "message", "oneOf", "payload", "headers", "schemaFormat", "schema",
    "operations", "action", "channel", "reply", "location", "correlationId", "parameters", "publish",
    "subscribe", "operationId", "traits", "bindings", "kafka", "mqtt", "amqp", "security", "type",
    "properties", "items", "required", "minimum", "components", "schemas", "securitySchemes", "flows",
    "implicit", "tags", "name", "externalDocs", "examples", "x-a", "send", "receive", "paths", "get",
    "responses", "description",
]  # fmt: skip

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(WORDS), st.text(max_size=8),
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(WORDS), inner, max_size=4)
    ),
    max_leaves=25,
)
documents = st.builds(
    lambda family, version, body: {family: version, **body},
    st.sampled_from(["asyncapi", "openapi"]),
    st.sampled_from(["2.0.0", "2.3.0", "2.6.0", "3.0.0", "3.1.0", "3.0.3", "9", "x"]),
    st.dictionaries(st.sampled_from(WORDS), values, max_size=6),
)


def document(data: dict[str, Any]) -> Document:
    node = from_data(data, "random.yaml")
    return Document(path=Path("random.yaml"), raw=node, root=node, family="asyncapi", version="")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_validate_returns_problems_never_raises(data: dict[str, Any]) -> None:
    found = validate(document(data))
    assert all(isinstance(p, SpecError) for p in found)
    assert found == sorted(found, key=SpecError.sort_key)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.sampled_from(["#/components/schemas/a", "#/channels/c", "#/info", "#"]))
def test_resolved_graphs_with_cycles_never_raise(data: dict[str, Any], ref: str) -> None:
    data = {
        **data,
        "components": {"schemas": {"a": {"type": "object", "properties": {"self": {"$ref": ref}}}}},
    }
    try:
        doc = load_data(data, "random.yaml")
    except (SpecError, SpecErrors):
        return
    assert all(isinstance(p, SpecError) for p in validate(doc))
