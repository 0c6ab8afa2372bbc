"""``null`` on the wire: only where the spec's schema allows it.

datamodel-code-generator types every optional property ``X | None = None``. asyncgen gives the
fields of the optional properties whose schema does not allow null ``exclude_if`` (``None`` is
"absent": left out of the JSON), and the generated runtime refuses a ``null`` there in incoming
JSON (and a NaN the serialiser would write as ``null``). Nullable properties (a ``type`` list
with null, OpenAPI 3.0 ``nullable``, a ``oneOf`` branch of null, an enum with null) keep their
explicit ``null`` both ways.

One generated NATS service (``runtime`` is the same code on every transport); a script in it
sends through the generated producer and receives through the generated consumer on
FastStream's in-memory broker.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from project_support import generate_service, run_python

from asyncgen.schemas import admits_null, not_null_fields

PARCEL: dict[str, Any] = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": {"type": "string"},
        "note": {"type": "string"},
        "weight": {"type": "number"},
        "label": {"type": ["string", "null"]},
        "carrier": {"oneOf": [{"$ref": "#/components/schemas/Carrier"}, {"type": "null"}]},
        "dims": {"type": "object", "properties": {"unit": {"type": "string", "enum": ["cm", "in"]}}},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["sku"],
                "properties": {"sku": {"type": "string"}, "batch": {"type": "string"}},
            },
        },
        "anything": {},
    },
}

SPEC = {
    "asyncapi": "3.0.0",
    "info": {"title": "Parcels", "version": "1.0.0"},
    "defaultContentType": "application/vnd.parcels+json",  # the producers send it (no contentType)
    "servers": {"dev": {"host": "localhost", "protocol": "nats"}},
    "channels": {
        "out": {"address": "parcels.out", "messages": {"parcel": {"$ref": "#/components/messages/parcel"}}},
        "in": {"address": "parcels.in", "messages": {"parcel": {"$ref": "#/components/messages/parcel"}}},
    },
    "operations": {
        "sendParcel": {"action": "send", "channel": {"$ref": "#/channels/out"}},
        "receiveParcel": {"action": "receive", "channel": {"$ref": "#/channels/in"}},
    },
    "components": {
        "messages": {"parcel": {"payload": {"$ref": "#/components/schemas/Parcel"}}},
        "schemas": {
            "Parcel": PARCEL,
            "Carrier": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
        },
    },
}

SCRIPT = textwrap.dedent(
    """
    import asyncio, importlib, json, logging, sys
    from faststream.nats import NatsMessage, TestNatsBroker

    pkg = sys.argv[1]
    models = importlib.import_module(pkg + ".models")
    runtime = importlib.import_module(pkg + ".runtime")
    producers = importlib.import_module(pkg + ".producers")
    consumers = importlib.import_module(pkg + ".consumers")
    handlers = importlib.import_module(pkg + ".handlers")
    broker = importlib.import_module(pkg + ".broker").broker
    Parcel = models.Parcel
    adapter = runtime.TypeAdapter(Parcel)

    def sent(parcel):
        return json.loads(runtime.encode_any(parcel))

    # producer: None for a property that does not allow null is left out, at every depth
    assert sent(Parcel(id="p", note=None, weight=None)) == {"id": "p"}
    items = [{"sku": "a", "batch": None}, {"sku": "b", "batch": "7"}]
    nested = Parcel(id="p", dims={"unit": None}, items=items)
    assert sent(nested) == {"id": "p", "dims": {}, "items": [{"sku": "a"}, {"sku": "b", "batch": "7"}]}
    changed = Parcel(id="p", note="x")
    changed.note = None  # assignment after validation
    assert sent(changed) == {"id": "p"}
    # ... but an explicit null where the schema allows it is sent as null
    assert sent(Parcel(id="p", label=None, carrier=None, anything=None)) == {
        "id": "p", "label": None, "carrier": None, "anything": None
    }
    # a NaN or infinity (JSON writes null) in a number that does not allow null: refused, at every depth
    for bad in (float("nan"), float("inf")):
        try:
            runtime.encode_any(Parcel(id="p", weight=bad))
        except ValueError as exc:
            assert "weight" in str(exc), exc
        else:
            raise AssertionError(f"sent weight={bad}")

    # consumer side: a null where the schema does not allow it is refused, with where
    for body, where in (
        (b'{"id":"p","note":null}', "note"),
        (b'{"id": "p", "label": null, "note" :\\n null}', "note"),
        (b'{"id":"p","n\\\\u006fte":null}', "note"),  # an escaped key: JSON for "note"
        (b'{"id":"p","dims":{"unit":null}}', "dims.unit"),
        (b'{"id":"p","items":[{"sku":"a"},{"sku":"b","batch":null}]}', "items.1.batch"),
    ):
        try:
            runtime.decode(adapter, body)
        except runtime.InvalidMessage as exc:
            assert where in str(exc), (where, exc)
        else:
            raise AssertionError(f"accepted {body!r}")
    # nullable properties round-trip their null; a "null" inside a string is no null
    body = b'{"id":"p","label":null,"carrier":null,"anything":null,"note":"null"}'
    parcel = runtime.decode(adapter, body)
    assert parcel.label is None and parcel.carrier is None and parcel.note == "null"
    assert json.loads(runtime.encode_any(parcel)) == json.loads(body)

    async def main():
        got, handled = [], []

        @broker.subscriber("parcels.out")
        async def spy(message: NatsMessage) -> None:
            got.append(message.body)
            assert message.content_type == "application/vnd.parcels+json", message.content_type

        async def on_receive_parcel(payload, **kwargs):
            handled.append(payload)

        handlers.on_receive_parcel = on_receive_parcel
        async with TestNatsBroker(broker, connect_only=False) as br:
            await producers.publish_send_parcel(Parcel(id="p", note=None, label=None))
            assert [json.loads(b) for b in got] == [{"id": "p", "label": None}], got
            await br.publish(b'{"id":"p","note":null}', subject="parcels.in")
            assert handled == [], handled
            await br.publish(b'{"id":"q","label":null}', subject="parcels.in")
            assert [p.id for p in handled] == ["q"] and handled[0].label is None, handled

    logging.disable(logging.WARNING)  # the refusal is logged (checked by the generated tests)
    asyncio.run(main())
    print("ok")
    """
)


def test_null_only_where_the_schema_allows_it(tmp_path: Path) -> None:
    pytest.importorskip("faststream")
    out = tmp_path / "svc"
    package = generate_service(SPEC, "parcels.yaml", out)
    models = (out / package / "models.py").read_text()
    assert "note: Annotated[str | None, Field(exclude_if=lambda v: v is None)] = None" in models, models
    assert "label: str | None = None" in models, models
    proc = run_python(out, "-W", "error", "-c", SCRIPT, package, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stdout + proc.stderr


DEFS: dict[str, Any] = {
    "Str": {"type": "string"},
    "Maybe": {"type": ["string", "null"]},
    "Loop": {"anyOf": [{"$ref": "#/$defs/Loop"}, {"type": "integer"}]},
}


@pytest.mark.parametrize(
    ("schema", "nullable"),
    [
        ({"type": "string"}, False),
        ({"type": ["string", "null"]}, True),
        ({"type": "string", "nullable": True}, True),  # OpenAPI 3.0
        ({"type": "string", "nullable": False}, False),
        ({"oneOf": [{"type": "string"}, {"type": "null"}]}, True),
        ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, False),
        ({"enum": ["a", None]}, True),
        ({"enum": ["a", "b"]}, False),
        ({"const": None}, True),
        ({"const": "a"}, False),
        ({"allOf": [{"$ref": "#/$defs/Str"}]}, False),
        ({"allOf": [{"$ref": "#/$defs/Maybe"}, {"type": ["string", "null"]}]}, True),
        ({"allOf": [{"$ref": "#/$defs/Str"}], "nullable": True}, True),
        ({"$ref": "#/$defs/Str"}, False),
        ({"$ref": "#/$defs/Maybe"}, True),
        ({"$ref": "#/$defs/Loop"}, False),
        ({"$ref": "#/$defs/Missing"}, True),
        ({}, True),
        ({"not": {"type": "string"}}, True),
        ({"description": "anything"}, True),
    ],
)
def test_admits_null(schema: dict[str, Any], nullable: bool) -> None:
    assert admits_null(schema, DEFS) is nullable


def test_not_null_fields_reads_dcg_metadata() -> None:
    document = {"$defs": {"P": PARCEL}}
    models = [
        {
            "class_name": "P",
            "source_path": ["$defs", "P"],
            "fields": [
                {"name": "id", "original_name": "id", "required": True},
                {"name": "note", "original_name": "note", "required": False},
                {"name": "label", "original_name": "label", "required": False},
                {"name": "items", "original_name": "items", "required": False},
                {"name": "anything", "original_name": "anything", "required": False},
            ],
        },
        {
            "class_name": "Gone",
            "source_path": ["$defs", "Gone"],
            "fields": [{"name": "x", "required": False}],
        },
    ]
    assert not_null_fields(document, models) == {"P": {"note", "items"}}


TWO_TYPES = {
    "asyncapi": "3.0.0",
    "info": {"title": "Mixed", "version": "1.0.0"},
    "servers": {"dev": {"host": "localhost", "protocol": "nats"}},
    "channels": {
        "out": {
            "address": "mixed.out",
            "messages": {
                "a": {
                    "payload": {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}}
                },
                "b": {
                    "contentType": "application/vnd.b+json",
                    "payload": {
                        "type": "object",
                        "required": ["b"],
                        "properties": {"b": {"type": "integer"}},
                    },
                },
            },
        }
    },
    "operations": {"sendMixed": {"action": "send", "channel": {"$ref": "#/channels/out"}}},
}

TWO_TYPES_SCRIPT = textwrap.dedent(
    """
    import asyncio, importlib, sys
    from faststream.nats import NatsMessage, TestNatsBroker

    pkg = sys.argv[1]
    models = importlib.import_module(pkg + ".models")
    producers = importlib.import_module(pkg + ".producers")
    broker = importlib.import_module(pkg + ".broker").broker
    classes = [c for c in vars(models).values() if isinstance(c, type) and hasattr(c, "model_fields")]
    A = next(c for c in classes if "a" in c.model_fields)
    B = next(c for c in classes if "b" in c.model_fields)

    async def main():
        seen = []

        @broker.subscriber("mixed.out")
        async def spy(message: NatsMessage) -> None:
            seen.append(message.content_type)

        async with TestNatsBroker(broker, connect_only=False):
            await producers.publish_send_mixed(A(a="x"))
            await producers.publish_send_mixed(B(b=1))
        assert seen == ["application/json", "application/vnd.b+json"], seen

    asyncio.run(main())
    print("ok")
    """
)


def test_each_message_of_an_operation_is_sent_with_its_content_type(tmp_path: Path) -> None:
    pytest.importorskip("faststream")
    out = tmp_path / "svc"
    package = generate_service(TWO_TYPES, "mixed.yaml", out)
    proc = run_python(out, "-W", "error", "-c", TWO_TYPES_SCRIPT, package, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stdout + proc.stderr
    # the producer picks the content type by payload class: a conditional mypy --strict accepts
    mypy = run_python(out, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir=/dev/null", package)
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
