"""validate over ../shared/corpus: every valid spec passes, every invalid one is rejected, located.

Valid: MANIFEST.tsv's spec_version starts with asyncapi/openapi and the file is not
under invalid/. Invalid: every file under invalid/ (fragments included - a fragment
on its own is not a spec); rejection at load time (a SpecError) counts.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest

from asyncgen.errors import SpecError, SpecErrors
from asyncgen.load import load
from asyncgen.validate import validate
from tests.conftest import SHARED, corpus_load_options, require_shared


def manifest() -> list[dict[str, str]]:
    path = SHARED / "corpus" / "MANIFEST.tsv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


ROWS = manifest()
VALID = [
    r["file"]
    for r in ROWS
    if r["spec_version"].startswith(("asyncapi", "openapi")) and not r["file"].startswith("invalid/")
]
INVALID = [r["file"] for r in ROWS if r["file"].startswith("invalid/")]


def problems_of(path: Path) -> list[SpecError]:
    try:
        return validate(load(path, corpus_load_options(path)))
    except SpecErrors as errs:
        return errs.errors
    except SpecError as err:
        return [err]


@pytest.mark.parametrize("name", VALID or ["<no corpus>"])
def test_valid_corpus_spec_has_no_errors(name: str) -> None:
    path = require_shared() / "corpus" / name
    errors = [p for p in problems_of(path) if p.severity == "error"]
    assert errors == [], "\n".join(e.format() for e in errors)


@pytest.mark.parametrize("name", INVALID or ["<no corpus>"])
def test_invalid_corpus_spec_is_rejected_with_a_located_error(name: str) -> None:
    path = require_shared() / "corpus" / name
    errors = [p for p in problems_of(path) if p.severity == "error"]
    assert errors, f"{name} was accepted"
    assert all(e.file and e.file != "<unknown>" for e in errors)
    assert any(e.line > 0 for e in errors), "\n".join(e.format() for e in errors)


EXPECTED = {
    # the root cause each TCK/known-invalid file is about
    "invalid/asyncapi__tck__invalid-duplicate-operationId.yaml": "operationId 'userSignedUp' is used twice",
    "invalid/asyncapi__tck__invalid-inexisting-security-scheme.yaml": "names 'complex'",
    "invalid/asyncapi__tck__invalid-missing-info.yaml": "missing required field `info`",
    "invalid/asyncapi__tck__invalid-external-ref-structure/invalid-external-ref-structure.yaml": (
        "which is not a Channel Item Object"
    ),
    "invalid/asyncapi__studio__invalid.yml": "Server Object has no field `url`",
    "invalid/asyncapi__parser-js__invalid-payload-asyncapi-format.json": (
        "`additionalProperties` must be a schema"
    ),
    "invalid/asyncapi__avro-schema-parser__invalid-asyncapi.yaml": "nonexistent",
    "invalid/OAI__OpenAPI-Specification__servers.yaml": "not of type 'array'",
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_corpus_spec_names_its_root_cause(name: str) -> None:
    path = require_shared() / "corpus" / name
    found = [p for p in problems_of(path) if p.severity == "error"]
    assert any(EXPECTED[name] in p.message for p in found), "\n".join(p.format() for p in found)


def test_studio_invalid_is_exactly_its_two_mistakes() -> None:
    path = require_shared() / "corpus" / "invalid" / "asyncapi__studio__invalid.yml"
    found = problems_of(path)
    assert [p.pointer for p in found] == [
        "/servers/mosquitto/url",
        "/channels/lightMeasured/messages/lightMeasuredMessage/payload/properties/id/minimum",
    ]


def test_big_corpus_files_validate_fast() -> None:
    corpus = require_shared() / "corpus"
    for name in (
        "asyncapi/2.x/asyncapi__parser-js__zbos_mqtt-all-asyncapi.json",
        "openapi/3.0/Redocly__redoc__big-openapi.json",
    ):
        path = corpus / name
        doc = load(path, corpus_load_options(path))
        start = time.perf_counter()
        assert [p for p in validate(doc) if p.severity == "error"] == []
        assert (
            time.perf_counter() - start < 30
        )  # generous: shared, noisy machines; see the report for numbers
