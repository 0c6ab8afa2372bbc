"""Formatting again by changed top-level pieces (asyncgen.format_chunks) == formatting whole.

Unit tests of the cutting rules and of the record handling with stand-in formatters, and
generation runs with ruff whose output must equal a cold run's byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath

import pytest
import yaml
from conftest import project_cache
from project_support import tree_bytes

from asyncgen.errors import GenerationError
from asyncgen.format_chunks import MIN_CHUNKS, format_by_chunks, read_records, split
from asyncgen.generate import CHUNKS_CACHE, GenerateResult, generate
from asyncgen.output import format_files, sha256

PY = PurePosixPath("m.py")


def _module(bodies: list[str]) -> str:
    return "import os\n\n\n" + "\n\n".join(f"def f{i}():\n    return {b}\n" for i, b in enumerate(bodies))


def test_cuts_fall_before_top_level_definitions_after_two_blank_lines() -> None:
    text = _module(["1", "2", "3", "4"])
    pieces = split(text, PY)
    assert pieces is not None and "".join(pieces) == text
    heads = [p.split("\n", 1)[0] for p in pieces]
    assert heads == ["import os", "def f0():", "def f1():", "def f2():", "def f3():"]
    # one blank line, or three, is no cut
    text = _module(["1", "2", "3", "4", "5"])
    text = text.replace("\n\n\ndef f1", "\n\ndef f1").replace("\n\n\ndef f2", "\n\n\n\ndef f2")
    pieces = split(text, PY)
    assert pieces is not None and "".join(pieces) == text
    assert [p.split("\n", 1)[0] for p in pieces] == ["import os", "def f0():", "def f3():", "def f4():"]


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (_module(["1", "2", "3", "4"]), PurePosixPath("m.pyi")),  # stubs: other blank-line rules
        (_module(["1", "2"]), PY),  # too few pieces
        (_module(["1", "2", "3", "4"]).replace("return 2", "return 2  # fmt: skip"), PY),
        (_module(["1", "2", "3", "4"]).replace("import os", "import os  # yapf: disable"), PY),
        (_module(["1", "2", "3", "4"]).replace("def f2", "# about f2\ndef f2"), PY),  # column-0 comment
    ],
)
def test_what_ties_statements_together_is_never_cut(text: str, path: PurePosixPath) -> None:
    assert MIN_CHUNKS > 2
    assert split(text, path) is None


def test_a_comment_before_the_first_cut_is_fine() -> None:
    assert split("# header\n" + _module(["1", "2", "3", "4"]), PY) is not None


def _ruff(files: Mapping[PurePosixPath, str]) -> dict[PurePosixPath, str]:
    return format_files(files, "ruff")


def _counting(calls: list[list[str]]) -> Callable[[Mapping[PurePosixPath, str]], dict[PurePosixPath, str]]:
    def run(files: Mapping[PurePosixPath, str]) -> dict[PurePosixPath, str]:
        calls.append(sorted(map(str, files)))
        return _ruff(files)

    return run


def test_the_first_time_it_verifies_then_formats_only_new_pieces(tmp_path: Path) -> None:
    old = _module(["1", "(2)", "3", "[4,5]", "6"])
    calls: list[list[str]] = []
    formatted, records, spliced = format_by_chunks({PY: old}, {}, tmp_path, _counting(calls))
    assert formatted == _ruff({PY: old}) and spliced == []
    assert len(calls) == 1 and "m.py" in calls[0] and len(calls[0]) == 1 + 6  # whole + every piece
    record = records["m.py"]
    assert record["formatted"] == sha256(formatted[PY].encode())
    (tmp_path / "m.py").write_text(formatted[PY])

    new = old.replace("return (2)", "return {'a':1}")
    calls.clear()
    again, records2, spliced = format_by_chunks({PY: new}, records, tmp_path, _counting(calls))
    assert spliced == ["m.py"] and again == _ruff({PY: new})
    assert calls == [["piece0.py"]]  # the changed function alone
    assert records2["m.py"]["formatted"] == sha256(again[PY].encode())


def test_a_record_is_only_used_for_the_bytes_it_was_made_from(tmp_path: Path) -> None:
    old = _module(["1", "2", "3", "4"])
    formatted, records, _ = format_by_chunks({PY: old}, {}, tmp_path, _ruff)
    (tmp_path / "m.py").write_text(formatted[PY].replace("return 1", "return 11"))  # edited on disk
    new = old.replace("return 4", "return 44")
    again, _, spliced = format_by_chunks({PY: new}, records, tmp_path, _ruff)
    assert spliced == [] and again == _ruff({PY: new})  # verified again, whole


def test_pieces_that_do_not_join_to_the_whole_refuse_the_file_for_good(tmp_path: Path) -> None:
    def odd(files: Mapping[PurePosixPath, str]) -> dict[PurePosixPath, str]:
        # a formatter whose whole-file output is not the join of its pieces' outputs
        return {p: t.strip() + ("\n# whole\n" if p == PY else "\n") for p, t in files.items()}

    text = _module(["1", "2", "3", "4"])
    formatted, records, spliced = format_by_chunks({PY: text}, {}, tmp_path, odd)
    assert records == {"m.py": "refused"} and formatted[PY].endswith("# whole\n") and not spliced
    calls: list[list[str]] = []
    _, kept, _ = format_by_chunks({PY: text.replace("1", "9")}, records, tmp_path, _counting(calls))
    assert kept == {"m.py": "refused"} and calls == [["m.py"]]


def test_a_piece_that_does_not_parse_alone_means_whole_file_formatting(tmp_path: Path) -> None:
    # the "cut" sits inside a string: the piece before it does not parse on its own
    text = 'X = """\n\n\ndef not_code():\n"""\n\n\n' + _module(["1", "2", "3"]).replace("import os\n\n\n", "")
    assert split(text, PY) is not None
    formatted, records, spliced = format_by_chunks({PY: text}, {}, tmp_path, _ruff)
    assert formatted == _ruff({PY: text}) and records == {"m.py": "refused"} and not spliced
    with pytest.raises(GenerationError, match="not valid Python"):  # a broken file names itself
        format_by_chunks({PY: "def f(:\n" + text}, {}, tmp_path, _ruff)


def test_damaged_or_foreign_records_are_ignored(tmp_path: Path) -> None:
    key = {"version": 1, "engine": "e", "formatter": "ruff x"}
    path = tmp_path / "c.json"
    for data in ("{", json.dumps({"key": {**key, "engine": "other"}, "files": {"m.py": "refused"}})):
        path.write_text(data)
        assert read_records(path, key) == {}
    bad = {"formatted": "x", "chunks": [["d", 0]]}  # a piece of length 0
    path.write_text(json.dumps({"key": key, "files": {"a.py": "refused", "b.py": bad}}))
    assert read_records(path, key) == {"a.py": "refused"}


def test_generation_formats_changed_pieces_only_and_equals_a_cold_run(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from synth import synth_spec

    doc = synth_spec(8)
    spec = tmp_path / "s.yaml"
    out = tmp_path / "out"

    def edit(name: str, prop: str) -> tuple[list[str], list[str]]:
        doc["components"]["schemas"][name]["properties"][prop] = {"type": "string", "maxLength": 7}
        spec.write_text(yaml.safe_dump(doc, sort_keys=False))
        result = generate(spec, out, formatter="ruff")
        cold = tmp_path / "cold"
        shutil.rmtree(cold, ignore_errors=True)
        generate(spec, cold, formatter="ruff", cache=False)
        assert tree_bytes(out) == tree_bytes(cold)
        return result.format_spliced, result.written

    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    generate(spec, out, formatter="ruff")
    assert not (project_cache(out) / CHUNKS_CACHE).exists()  # a cold run records nothing
    spliced, _ = edit("Entity1Payload", "a")
    assert spliced == []  # the first run that formats again verifies: whole and by pieces
    assert (project_cache(out) / CHUNKS_CACHE).exists()
    spliced, written = edit("Entity5Payload", "b")
    assert any(p.startswith("tests/") for p in spliced) and set(spliced) <= set(written)

    # the formatted test module edited on disk, its manifest hash "fixed": no piece comes from it
    test_module = next(p for p in spliced if p.startswith("tests/"))
    text = (out / test_module).read_text()
    (out / test_module).write_text(text.replace("\n\n\ndef ", "\n\n\ndef  ", 1))
    manifest = json.loads((out / ".asyncgen/manifest.json").read_text())
    manifest["files"][test_module]["sha256"] = hashlib.sha256((out / test_module).read_bytes()).hexdigest()
    (out / ".asyncgen/manifest.json").write_text(json.dumps(manifest))
    spliced, _ = edit("Entity6Payload", "c")
    assert test_module not in spliced


def test_records_of_files_reused_unrendered_are_kept(tmp_path: Path) -> None:
    """A run that renders nothing again (every file reused by its input hash) keeps the records:
    the next change still formats by pieces instead of verifying (whole + pieces) again."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from synth import synth_spec

    doc = synth_spec(8)
    spec = tmp_path / "s.yaml"
    out = tmp_path / "out"

    def edit(name: str, prop: str) -> GenerateResult:
        doc["components"]["schemas"][name]["properties"][prop] = {"type": "string", "maxLength": 7}
        spec.write_text(yaml.safe_dump(doc, sort_keys=False))
        return generate(spec, out, formatter="ruff")

    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    generate(spec, out, formatter="ruff")
    edit("Entity1Payload", "a")  # records made (verified)
    recorded = json.loads((project_cache(out) / CHUNKS_CACHE).read_text())["files"]
    assert any(p.startswith("tests/") for p in recorded)
    # no change, but the up-to-date shortcut skipped (--fail-on-warning): all reused, none formatted
    again = generate(spec, out, formatter="ruff", fail_on_warning=True)
    assert not again.up_to_date and again.rendered == [] and again.written == []
    assert json.loads((project_cache(out) / CHUNKS_CACHE).read_text())["files"] == recorded
    assert any(p.startswith("tests/") for p in edit("Entity5Payload", "b").format_spliced)
