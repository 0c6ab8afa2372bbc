"""parse(): version dispatch in one place."""

from __future__ import annotations

import pytest
from parse_support import parse_data

from asyncgen.errors import Diagnostics, SpecError


@pytest.mark.parametrize(
    ("version", "family"),
    [("2.0.0", "asyncapi"), ("2.6.0", "asyncapi"), ("3.0.0", "asyncapi"), ("3.1.0", "asyncapi")],
)
def test_asyncapi_versions(version: str, family: str) -> None:
    api = parse_data({"asyncapi": version, "info": {"title": "t", "version": "1"}, "channels": {}})
    assert (api.family, api.spec_version) == (family, version)


@pytest.mark.parametrize("version", ["3.0.0", "3.0.3", "3.1.0", "3.1.1"])
def test_openapi_versions(version: str) -> None:
    api = parse_data({"openapi": version, "info": {"title": "t", "version": "1"}, "paths": {}})
    assert (api.family, api.spec_version) == ("openapi", version)


def test_newer_minor_is_parsed_with_a_warning() -> None:
    diagnostics = Diagnostics()
    api = parse_data({"asyncapi": "3.2.0", "info": {"title": "t", "version": "1"}}, diagnostics)
    assert api.spec_version == "3.2.0"
    assert "newer than asyncgen knows" in diagnostics.warnings[0].message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"swagger": "2.0", "info": {"title": "t", "version": "1"}}, "not an AsyncAPI or OpenAPI document"),
        ({"asyncapi": "1.2.0", "info": {"title": "t", "version": "1"}}, "is not supported"),
        ({"openapi": "2.0", "info": {"title": "t", "version": "1"}}, "is not supported"),
    ],
)
def test_unsupported_documents_are_spec_errors(data: dict[str, object], message: str) -> None:
    with pytest.raises(SpecError, match=message) as err:
        parse_data(data)  # type: ignore[arg-type]
    assert err.value.hint
