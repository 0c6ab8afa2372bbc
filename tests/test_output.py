"""Formatting (ruff and black give the same bytes) and the atomic writer with its manifest."""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asyncgen import output
from asyncgen.errors import AsyncgenError, GenerationError, OutputConflict
from asyncgen.filters import comment, docstring, py_literal
from asyncgen.output import (
    MANIFEST_PATH,
    OutputFile,
    format_files,
    manifest_bytes,
    read_manifest,
    sha256,
    unified_diff,
    write_output,
)

P = PurePosixPath
META = {"asyncgen_version": "test", "template_set": "t"}

SAMPLE = '''
from __future__ import annotations
import asyncio
from typing import Any
class Thing :
    """{doc}"""
    x : int=1
    def method(self, a, b = 2, *args, **kwargs) -> dict[str,Any]:
        # {comment}
        return {{'a':a,'b':[b,b,b],"long_key_number_one":1,"long_key_number_two":2,"long_key_number_three":3}}
VALUE = {literal}
async def main(value: Any = VALUE, other: int = 2) -> None:
    """{doc}"""
    await asyncio.sleep( 0 )
    if value: print( "value", {literal}, sep = ' ' )
'''

# Known, documented ruff/black deviations this sample (and the templates) stay clear of:
# a too-long line ending in a pragma comment (ruff ignores the pragma's width), and a def
# with ONE parameter whose default contains commas (ruff adds a trailing comma, black not).


def sample(doc: str, note: str, literal: object) -> str:
    return SAMPLE.format(doc=docstring(doc), comment=comment(note), literal=py_literal(literal))


def test_ruff_and_black_agree_on_a_sample() -> None:
    files = {P("a.py"): sample("A thing.\n\nMore text.", "a comment", {"k": [1, 2.5, None, "s"]})}
    ruff = format_files(files, "ruff")
    black = format_files(files, "black")
    assert ruff == black
    assert ruff[P("a.py")].startswith("from __future__ import annotations\n")


text = st.text(st.characters(codec="utf-8"), max_size=40)
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(text, c, max_size=3),
    max_leaves=8,
)


@given(text, text, values)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_ruff_and_black_agree_on_filtered_spec_text(doc: str, note: str, literal: object) -> None:
    files = {P("m.py"): sample(doc, note, literal)}
    assert format_files(files, "ruff") == format_files(files, "black")


def test_ruff_and_black_agree_on_a_big_module() -> None:
    body = "".join(
        sample(f"Doc {i}", f"note {i}", [i, str(i)]).replace("Thing", f"Thing{i}") for i in range(200)
    )
    files = {P("big.py"): body}
    assert format_files(files, "ruff") == format_files(files, "black")


def test_non_python_files_get_unix_newlines_only() -> None:
    out = format_files({P("README.md"): "a\r\nb\rc\n", P("x.py"): "x=1\r\n"}, "ruff")
    assert out == {P("README.md"): "a\nb\nc\n", P("x.py"): "x = 1\n"}


@pytest.mark.parametrize("formatter", ["ruff", "black"])
def test_invalid_python_names_the_file_and_template(formatter: str) -> None:
    with pytest.raises(GenerationError, match=r"pkg/x\.py \(from template x\.py\.j2\)"):
        format_files(
            {P("pkg/x.py"): "def (:\n", P("ok.py"): "x = 1\n"}, formatter, {P("pkg/x.py"): "x.py.j2"}
        )


def test_unknown_formatter() -> None:
    with pytest.raises(GenerationError, match="choose one of: ruff, black"):
        format_files({P("a.py"): "x=1\n"}, "yapf")


def files(**texts: str) -> list[OutputFile]:
    return [
        OutputFile(P(k.replace("__", "/")), v.encode(), "generated", "t.j2", "h") for k, v in texts.items()
    ]


def test_first_write_creates_the_tree_with_a_manifest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = write_output(files(a__b="1\n", c="2\n"), out, meta=META)
    assert result.written == ["a/b", "c"]
    manifest = read_manifest(out)
    assert manifest["files"]["a/b"]["sha256"] == sha256(b"1\n")
    assert manifest["template_set"] == "t"
    assert (out / MANIFEST_PATH).read_bytes() == manifest_bytes(META, files(a__b="1\n", c="2\n"))
    mode = 0o777 & ~output._umask()
    assert (out.stat().st_mode & 0o777) == mode  # not mkdtemp's 0700


def test_manifest_is_sorted_and_stable() -> None:
    one = manifest_bytes({"z": 1, "a": 2}, files(b="x", a="y"))
    two = manifest_bytes({"a": 2, "z": 1}, list(reversed(files(b="x", a="y"))))
    assert one == two
    assert list(json.loads(one)["files"]) == ["a", "b"]


def test_check_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(files(a="1\n"), out, meta=META)
    result = write_output(files(a="2\n", b="new\n"), out, meta=META, check=True)
    assert {(d.path, d.kind) for d in result.drift} == {("a", "changed"), ("b", "missing")}
    assert all(d.diff.startswith("---") for d in result.drift)
    assert (out / "a").read_text() == "1\n" and not (out / "b").exists()
    # a writing run lists the same drift without diffs (nobody shows them; difflib is slow)
    written = write_output(files(a="2\n", b="new\n"), out, meta=META)
    assert {(d.path, d.kind, d.diff) for d in written.drift} == {("a", "changed", ""), ("b", "missing", "")}


def test_edit_conflict_and_force(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(files(a="1\n", b="1\n"), out, meta=META)
    (out / "a").write_text("edited\n")
    with pytest.raises(OutputConflict, match=r"edited by hand .*: a\n(.|\n)*\+2") as caught:
        write_output(files(a="2\n", b="2\n"), out, meta=META)
    assert "-edited" in str(caught.value)  # the hand edit's diff is shown
    assert (out / "b").read_text() == "1\n"  # all or nothing
    result = write_output(files(a="2\n", b="2\n"), out, meta=META, force=True)
    assert result.forced == ["a"] and (out / "a").read_text() == "2\n"


def test_unknown_existing_file_is_a_conflict(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "a").write_text("someone else's\n")
    with pytest.raises(OutputConflict):
        write_output(files(a="1\n"), out, meta=META)
    assert (out / "a").read_text() == "someone else's\n"


def test_an_interrupted_run_is_not_mistaken_for_a_hand_edit(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(files(a="1\n"), out, meta=META)
    (out / "a").write_text("2\n")  # as if the swap happened but the manifest was never replaced
    result = write_output(files(a="2\n"), out, meta=META)
    assert result.unchanged == ["a"]


def test_failure_during_swap_keeps_files_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    write_output(files(a="1\n", b="1\n"), out, meta=META)
    real = os.replace
    seen: list[str] = []

    def failing(src: str | Path, dst: str | Path) -> None:
        seen.append(str(dst))
        if len(seen) == 2:
            raise OSError("disk full")
        real(src, dst)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(AsyncgenError, match="disk full"):
        write_output(files(a="2\n", b="2\n"), out, meta=META)
    monkeypatch.undo()
    assert {(out / n).read_text() for n in "ab"} <= {"1\n", "2\n"}
    assert read_manifest(out)["files"]["a"]["sha256"] == sha256(b"1\n")  # old manifest
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    write_output(files(a="2\n", b="2\n"), out, meta=META)  # the next run completes cleanly


def test_stale_files_and_empty_directories(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(files(keep="k\n", d__e__gone="g\n", mine="m\n"), out, meta=META)
    (out / "mine").write_text("edited\n")
    result = write_output(files(keep="k\n"), out, meta=META)
    assert result.removed == ["d/e/gone"] and result.stale_kept == ["mine"]
    assert not (out / "d").exists() and (out / "mine").exists()


def test_user_files_are_never_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "out"
    user = [OutputFile(P("h.py"), b"v1\n", "user", "h.j2", "x")]
    write_output(user, out, meta=META)
    (out / "h.py").write_text("mine\n")
    newer = [OutputFile(P("h.py"), b"v2\n", "user", "h.j2", "y")]
    result = write_output(newer, out, meta=META, force=True)
    assert (out / "h.py").read_text() == "mine\n"
    assert result.user_outdated == ["h.py"]
    assert write_output(newer, out, meta=META, check=True).drift == []


def test_tampered_manifest_cannot_delete_outside(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(files(a="1\n"), out, meta=META)
    victim = tmp_path / "victim"
    victim.write_text("x")
    data = json.loads((out / MANIFEST_PATH).read_text())
    data["files"]["../victim"] = {"sha256": sha256(b"x"), "ownership": "generated"}
    (out / MANIFEST_PATH).write_text(json.dumps(data))
    write_output(files(a="1\n"), out, meta=META)
    assert victim.exists()


def test_output_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputConflict, match="not a directory"):
        write_output(files(a="1\n"), tmp_path / "f", meta=META)


def test_unified_diff_shapes() -> None:
    assert unified_diff("a", b"x\n", b"y\n").splitlines()[:2] == ["--- a/a", "+++ b/a"]
    assert "+++ /dev/null" in unified_diff("a", b"x\n", None)
    assert "No newline at end of file" in unified_diff("a", b"x", b"y\n")


SPECS = sorted((Path(__file__).resolve().parent.parent / "specs").glob("*.asyncapi.yaml"))


@pytest.mark.skipif(not SPECS, reason="no bundled specs")
@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_service_projects_are_identical_with_ruff_and_black(spec: Path, tmp_path: Path) -> None:
    """The bundled specs through the built-in service set: both formatters, same bytes."""
    from asyncgen.generate import generate
    from asyncgen.resources import builtin_set_dir

    if builtin_set_dir("service") is None:
        pytest.skip("the built-in service template set is not there")
    trees = {}
    for formatter in ("ruff", "black"):
        out = tmp_path / formatter
        generate(spec, out, formatter=formatter)
        trees[formatter] = {
            p.relative_to(out).as_posix(): p.read_bytes()
            for p in sorted(out.rglob("*"))
            if p.is_file() and p.parent.name != ".asyncgen"
        }
    differing = sorted(
        k
        for k in trees["ruff"].keys() | trees["black"].keys()
        if trees["ruff"].get(k) != trees["black"].get(k)
    )
    diffs = "".join(unified_diff(k, trees["ruff"].get(k), trees["black"].get(k)) for k in differing)
    assert not differing, f"ruff (a/) and black (b/) differ:\n{diffs}"


def test_formatter_divergences_flag_long_pragma_lines() -> None:
    long_line = "from package_with_a_long_name import consumers  # noqa: F401  (importing registers them all)"
    assert len(long_line) > output.LINE_LENGTH
    found = output.formatter_divergences({P("a.py"): f"x = 1\n{long_line}\n", P("b.md"): long_line})
    assert found == [(P("a.py"), 2, long_line)]
    files = {P("a.py"): long_line + "\n"}
    assert format_files(files, "ruff") != format_files(files, "black")  # why the warning exists


def test_a_stale_file_where_a_directory_now_goes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(files(a__b="old\n"), out, meta=META)
    result = write_output(files(a__b__c="new\n"), out, meta=META)
    assert result.removed == ["a/b"] and (out / "a/b/c").read_text() == "new\n"
