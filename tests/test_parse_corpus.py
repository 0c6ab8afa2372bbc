"""Every valid AsyncAPI/OpenAPI document in ../shared/corpus parses into a sound IR.

Sound means: every SchemaDef is valid 2020-12 JSON Schema (the metaschema's
``check_schema``), its ``$ref``s all name existing defs, names are unique and safe
identifiers, and ``summarize`` renders it. Warnings are allowed but listed in
``EXPECTED_WARNINGS`` so a new one is noticed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import SHARED, corpus_load_options
from jsonschema import Draft202012Validator

from asyncgen.document import MapNode, SeqNode
from asyncgen.errors import Diagnostics, Location
from asyncgen.inspect import summarize
from asyncgen.load import load
from asyncgen.model import Api
from asyncgen.parse import parse


def corpus_specs() -> list[str]:
    manifest = SHARED / "corpus" / "MANIFEST.tsv"
    if not manifest.is_file():
        return ["<corpus missing>"]
    specs = []
    for line in manifest.read_text(encoding="utf-8").splitlines()[1:]:
        cols = line.split("\t")
        if cols[0].startswith("invalid/") or not cols[5].startswith(("asyncapi ", "openapi ")):
            continue
        specs.append(cols[0])
    return specs


#: spec -> substrings of the warnings it is known to produce (anything else fails the test)
_HEADERS = ("response headers and links are not represented",)
EXPECTED_WARNINGS: dict[str, tuple[str, ...]] = {
    "openapi/3.0/OAI__OpenAPI-Specification__link-example.yaml": _HEADERS,
    "openapi/3.0/OAI__OpenAPI-Specification__petstore.yaml": _HEADERS,
    "openapi/3.0/Redocly__redoc__big-openapi.json": _HEADERS,
    "openapi/3.1/OAI__learn.openapis.org__tictactoe.yaml": _HEADERS,
}


def parse_corpus(shared: Path, spec: str) -> tuple[Api, Diagnostics]:
    path = shared / "corpus" / spec
    doc = load(path, corpus_load_options(path))
    diagnostics = Diagnostics()
    return parse(doc, diagnostics), diagnostics


def refs(value: Any) -> list[str]:
    return re.findall(r'"\$ref": "([^"]*)"', json.dumps(value))


@pytest.mark.parametrize("spec", corpus_specs())
def test_corpus_spec_parses(shared_dir: Path, spec: str) -> None:
    api, diagnostics = parse_corpus(shared_dir, spec)
    names = [s.name for s in api.schemas]
    assert len(set(names)) == len(names), "SchemaDef names must be unique"
    for sd in api.schemas:
        assert sd.name.isidentifier(), sd.name
        Draft202012Validator.check_schema(sd.schema)
        for ref in refs(sd.schema):
            assert ref.startswith("#/$defs/") and ref[len("#/$defs/") :] in names, (sd.name, ref)
        json.dumps(sd.schema)  # plain JSON, no cycles
    for group in (api.channels, api.operations, api.messages, api.http_operations, api.servers):
        idents = [x.ident for x in group]
        assert len(set(idents)) == len(idents)
        assert all(i.isidentifier() for i in idents)
    for message in api.messages:
        assert message.class_name.isidentifier()
    if api.family == "asyncapi":
        assert api.channels or not spec.endswith("ibmmq.yml")
    else:
        assert api.http_operations or api.webhooks
    expected = EXPECTED_WARNINGS.get(spec, ())
    unexpected = [w.format() for w in diagnostics.warnings if not any(e in w.message for e in expected)]
    assert not unexpected


def assert_plain(value: Any, seen: set[int]) -> None:
    """No MapNode/SeqNode (spec nodes) anywhere in the IR: only dataclasses and JSON data."""
    if id(value) in seen:
        return
    seen.add(id(value))
    assert not isinstance(value, (MapNode, SeqNode)), type(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            assert_plain(getattr(value, f.name), seen)
    elif isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str)
            assert_plain(item, seen)
    elif isinstance(value, (list, tuple)):
        for item in value:
            assert_plain(item, seen)
    else:
        assert value is None or isinstance(value, (str, int, float, bool, Location)), type(value)


@pytest.mark.parametrize("spec", corpus_specs())
def test_corpus_ir_holds_no_spec_nodes(shared_dir: Path, spec: str) -> None:
    api, _ = parse_corpus(shared_dir, spec)
    assert_plain(api, set())


@pytest.mark.parametrize("spec", corpus_specs())
def test_corpus_spec_summarizes(shared_dir: Path, spec: str) -> None:
    api, _ = parse_corpus(shared_dir, spec)
    text = summarize(api)
    assert text.startswith(api.title.splitlines()[0][:20])
    assert "Totals:" in text
    assert summarize(api) == text  # deterministic


DIGEST = """
import hashlib, json, sys
from pathlib import Path
from conftest import corpus_load_options
from asyncgen.inspect import summarize
from asyncgen.load import load
from asyncgen.parse import parse
digest = hashlib.sha256()
for name in sys.argv[1:]:
    path = Path(name)
    api = parse(load(path, corpus_load_options(path)))
    digest.update(summarize(api).encode() + repr(api).encode())
    digest.update(json.dumps([(s.name, s.schema) for s in api.schemas]).encode())
print(digest.hexdigest())
"""


def test_corpus_ir_is_identical_across_hash_seeds(shared_dir: Path) -> None:
    """Spec order, never hash order: the IR is the same under different PYTHONHASHSEEDs."""
    specs = [str(shared_dir / "corpus" / s) for s in corpus_specs()]
    here = Path(__file__).resolve().parent
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": f"{here}{os.pathsep}{here.parent}"}
        out = subprocess.run(
            [sys.executable, "-c", DIGEST, *specs], capture_output=True, text=True, env=env, check=True
        )
        digests.add(out.stdout.strip())
    assert len(digests) == 1
