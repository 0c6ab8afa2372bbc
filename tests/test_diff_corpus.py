"""``diff`` over ../shared/corpus: a spec loaded twice has no changes, and diffing
unrelated specs of the same family never crashes and renders in every format."""

from __future__ import annotations

import itertools
import json

import pytest
from conftest import SHARED, corpus_load_options, require_shared

from asyncgen.diff import DiffResult, Mode, diff_apis, load_api, render
from asyncgen.model import Api


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


def load(spec: str) -> Api:
    path = require_shared() / "corpus" / spec
    return load_api(str(path), corpus_load_options(path))


@pytest.mark.parametrize("spec", corpus_specs())
def test_spec_against_itself_has_no_changes(spec: str) -> None:
    assert diff_apis(load(spec), load(spec)) == []


def test_unrelated_pairs_diff_and_render() -> None:
    specs = corpus_specs()
    require_shared()
    apis = [(spec, load(spec)) for spec in specs]
    compared = 0
    for (old_name, old), (new_name, new) in itertools.pairwise(apis):
        if old.family != new.family:
            continue
        changes = diff_apis(old, new)
        compared += 1
        result = DiffResult(Mode.FULL, (old_name, new_name), tuple(changes))
        for fmt in ("text", "markdown"):
            assert render(result, fmt)
        data = json.loads(render(result, "json"))
        assert len(data["changes"]) == len(changes)
        for change in changes:
            assert change.kind and change.detail
            assert not change.path.startswith("/")
    assert compared > 20
