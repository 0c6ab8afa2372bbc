"""The validation memo (asyncgen.validate.memo): the same problems as a cold run, less walking.

Every run with a memo folder is compared with a cold validation of the same text: the same
problems (errors and warnings, messages, hints, file:line:column), in the same order, over
sequences of edits that share one memo folder.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, project_cache, require_shared

from asyncgen.errors import SpecError, SpecErrors
from asyncgen.fingerprint import entries
from asyncgen.generate import generate
from asyncgen.load import load
from asyncgen.validate import check
from asyncgen.validate.memo import file_name


def _spec(channels: int) -> str:
    parts = ["asyncapi: 3.0.0\ninfo:\n  title: T\n  version: '1'\nchannels:\n"]
    for i in range(channels):
        parts.append(
            f"  c{i}:\n    address: c{i}.{{id}}\n    parameters:\n      id:\n"
            f"        $ref: '#/components/parameters/id'\n    messages:\n"
            f"      m{i}:\n        $ref: '#/components/messages/M{i}'\n"
        )
    parts.append("operations:\n")
    for i in range(channels):
        parts.append(
            f"  send{i}:\n    action: send\n    channel:\n      $ref: '#/channels/c{i}'\n"
            f"    messages:\n    - $ref: '#/channels/c{i}/messages/m{i}'\n"
        )
    parts.append("components:\n  parameters:\n    id:\n      description: an id\n  messages:\n")
    for i in range(channels):
        parts.append(
            f"    M{i}:\n      name: M{i}\n      payload:\n        $ref: '#/components/schemas/S{i}'\n"
        )
    parts.append("  schemas:\n")
    for i in range(channels):
        parts.append(
            f"    S{i}:\n      type: object\n      properties:\n        id:\n          type: string\n"
        )
    return "".join(parts)


def _problems(report_problems: list[SpecError]) -> list[tuple[Any, ...]]:
    return [(p.location, p.message, p.hint, p.severity) for p in report_problems]


def _both(path: Path, memo: Path, options: Any = None) -> tuple[list[Any], list[Any], int] | None:
    """(cold problems, memo problems, entries skipped), or None when the text does not load."""
    try:
        cold = check(load(path, options) if options else load(path))
        warm = check(load(path, options) if options else load(path), memo)
    except (SpecError, SpecErrors):
        return None
    return _problems(cold.problems), _problems(warm.problems), warm.skipped


def _memo_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "memo"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def test_an_unchanged_spec_is_not_walked_again_and_gives_the_same_problems(tmp_path: Path) -> None:
    spec, memo = tmp_path / "spec.yaml", _memo_dir(tmp_path)
    spec.write_text(_spec(5), encoding="utf-8")
    first = _both(spec, memo)
    assert first is not None and first[0] == first[1] == [] and first[2] == 0
    second = _both(spec, memo)
    assert second is not None and second[0] == second[1] == []
    assert second[2] == 5 + 5 + 1 + 5 + 5  # channels, operations, parameter, messages, schemas
    # lines moved: nothing to walk again either (problems would be located anew)
    spec.write_text("# moved\n\n" + _spec(5), encoding="utf-8")
    third = _both(spec, memo)
    assert third is not None and third[2] == 21


def test_an_edit_that_breaks_a_memoised_entry_is_reported(tmp_path: Path) -> None:
    spec, memo = tmp_path / "spec.yaml", _memo_dir(tmp_path)
    text = _spec(4)
    spec.write_text(text, encoding="utf-8")
    assert _both(spec, memo) is not None
    assert _both(spec, memo) is not None  # everything memoised now
    broken = text.replace("    S2:\n      type: object", "    S2:\n      type: objekt")
    spec.write_text(broken, encoding="utf-8")
    result = _both(spec, memo)
    assert result is not None
    cold, warm, skipped = result
    assert cold == warm and len(cold) == 1 and "'objekt' is not a JSON Schema type" in cold[0][1]
    # S2, and what leads to it (M2, c2, send2), are walked again; the 13 others are not
    assert skipped == 17 - 4
    # the same error on the next run (an entry with a problem is never memoised)
    again = _both(spec, memo)
    assert again is not None and again[0] == again[1] == cold and again[2] == 13
    # and fixed again
    spec.write_text(text, encoding="utf-8")
    fixed = _both(spec, memo)
    assert fixed is not None and fixed[0] == fixed[1] == [] and fixed[2] == 13


def test_a_changed_ref_chain_walks_again_what_leads_through_it(tmp_path: Path) -> None:
    """b's message is a pointer through a; a's ref changes to a message only b's walk would...
    (b is unchanged, but it depends on a, so it is not skipped)."""
    text = (
        "asyncapi: 3.0.0\ninfo: {title: T, version: '1'}\n"
        "channels:\n"
        "  a:\n    messages:\n      m: {$ref: '#/components/messages/Good'}\n"
        "  b:\n    messages:\n      m: {$ref: '#/channels/a/messages/m'}\n"
        "components:\n  messages:\n    Good: {payload: {type: string}}\n"
        "x-lib:\n  Bad: {payload: {type: strng}}\n"
    )
    spec, memo = tmp_path / "spec.yaml", _memo_dir(tmp_path)
    spec.write_text(text, encoding="utf-8")
    for _ in range(2):
        result = _both(spec, memo)
        assert result is not None and result[0] == result[1] == []
    spec.write_text(text.replace("#/components/messages/Good", "#/x-lib/Bad"), encoding="utf-8")
    result = _both(spec, memo)
    assert result is not None
    cold, warm, skipped = result
    assert cold == warm and [p[1] for p in cold] == ["schema `type` 'strng' is not a JSON Schema type"]
    assert skipped == 1  # components/messages/Good only: a and b lead to the change


def test_entries_added_and_removed_keep_what_leads_where(tmp_path: Path) -> None:
    """x-lib is walked only through the channels that refer to it: after entries come and go
    (the memo numbers entries anew), a change in x-lib must still reach the channels' walks."""
    head = "asyncapi: 3.0.0\ninfo: {title: T, version: '1'}\nchannels:\n"
    channels = "".join(f"  c{i}:\n    messages:\n      m: {{$ref: '#/x-lib/M{i}'}}\n" for i in range(4))
    lib = "x-lib:\n" + "".join(f"  M{i}: {{payload: {{type: string}}}}\n" for i in range(4))
    more = "  n1: {address: n}\n  n2: {address: n}\n"
    spec, memo = tmp_path / "spec.yaml", _memo_dir(tmp_path)
    steps = [
        head + channels + lib,
        head + more + channels + lib,  # two more entries before them all
        head + more + channels.replace("  c0:", "  d0:") + lib,  # one gone (renamed), one new
        head
        + more
        + channels.replace("  c0:", "  d0:")
        + lib.replace("M3: {payload: {type: string}}", "M3: {payload: {type: strng}}"),
    ]
    results = []
    for text in steps:
        spec.write_text(text, encoding="utf-8")
        result = _both(spec, memo)
        assert result is not None and result[0] == result[1]
        results.append(result)
    assert [r[2] for r in results] == [0, 4, 5, 5]  # (only channels are walked and skipped)
    assert [p[1] for p in results[-1][0]] == ["schema `type` 'strng' is not a JSON Schema type"]


def test_checks_that_look_outside_an_unchanged_entry_still_run(tmp_path: Path) -> None:
    """An operation's channel must be one of `#/channels`, a channel's servers of `#/servers`:
    that depends on other entries than the ones the operation's or channel's refs lead to."""
    text = (
        "asyncapi: 3.0.0\ninfo: {title: T, version: '1'}\n"
        "servers:\n  s: {$ref: '#/components/servers/S'}\n"
        "channels:\n  a: {$ref: '#/components/channels/C'}\n"
        "  b:\n    servers: [{$ref: '#/components/servers/S'}]\n"
        "operations:\n  o: {action: send, channel: {$ref: '#/components/channels/C'}}\n"
        "components:\n  channels:\n    C: {address: c}\n    D: {address: d}\n"
        "  servers:\n    S: {host: h, protocol: mqtt}\n    T: {host: h, protocol: mqtt}\n"
    )
    spec, memo = tmp_path / "spec.yaml", _memo_dir(tmp_path)
    spec.write_text(text, encoding="utf-8")
    for _ in range(2):
        result = _both(spec, memo)
        assert result is not None and result[0] == result[1] == []
    moved = text.replace("a: {$ref: '#/components/channels/C'}", "a: {$ref: '#/components/channels/D'}")
    spec.write_text(
        moved.replace("s: {$ref: '#/components/servers/S'}", "s: {$ref: '#/components/servers/T'}")
    )
    result = _both(spec, memo)
    assert result is not None
    cold, warm, skipped = result
    assert cold == warm and skipped == 6  # b, o, C, D, S, T unchanged (a and s changed)
    assert [p[1] for p in cold] == [
        "channel 'b' `servers` must refer to servers in `#/servers`",
        "operation 'o': `channel` must refer to a channel in `#/channels`",
    ]


def test_a_corrupt_or_foreign_memo_is_ignored(tmp_path: Path) -> None:
    spec, memo = tmp_path / "spec.yaml", _memo_dir(tmp_path)
    spec.write_text(_spec(3), encoding="utf-8")
    name = file_name(load(spec))
    assert _both(spec, memo) is not None
    good = (memo / name).read_bytes()
    record = json.loads(good)
    assert record["pointers"] and record["fingerprints"] and any(record["deps"]) and any(record["users"])
    wrong_types = {**record, "fingerprints": [[5] for _ in record["fingerprints"]]}
    out_of_range = {**record, "users": [[99] for _ in record["users"]]}
    for data in (
        b"\x00\xff garbage",
        good[: len(good) // 2],
        b"[]",
        json.dumps({**record, "key": ["another", "engine", "3.0.0"]}).encode(),
        json.dumps({**record, "users": []}).encode(),
        json.dumps(wrong_types).encode(),
    ):
        (memo / name).write_bytes(data)
        result = _both(spec, memo)
        assert result is not None and result[0] == result[1] == [] and result[2] == 0
    # each was replaced by a good one
    result = _both(spec, memo)
    assert result is not None and result[2] == 13
    # users out of range, with an entry changed (so they are needed): no crash, no skips
    spec.write_text(_spec(3).replace("description: an id", "description: the id"), encoding="utf-8")
    (memo / name).write_bytes(json.dumps(out_of_range).encode())
    result = _both(spec, memo)
    assert result is not None and result[0] == result[1] == [] and result[2] == 0
    assert json.loads((memo / name).read_bytes())["users"] == record["users"]  # rebuilt


def test_negative_control_a_forged_memo_does_hide_a_problem(tmp_path: Path) -> None:
    """The skip is real: a memo that (falsely) says the broken entry is clean hides its error."""
    spec, memo = tmp_path / "spec.yaml", _memo_dir(tmp_path)
    text = _spec(2)
    spec.write_text(text, encoding="utf-8")
    assert _both(spec, memo) is not None
    broken = text.replace("    S1:\n      type: object", "    S1:\n      type: objekt")
    spec.write_text(broken, encoding="utf-8")
    doc = load(spec)
    found = entries(doc)
    assert found is not None
    name = file_name(doc)
    record = json.loads((memo / name).read_bytes())
    # the forgery: today's fingerprints for every entry
    record["fingerprints"] = [found.fingerprints[pointer] for pointer in record["pointers"]]
    (memo / name).write_bytes(json.dumps(record).encode())
    result = _both(spec, memo)
    assert result is not None
    cold, warm, skipped = result
    assert len(cold) == 1 and warm == [] and skipped == 9


# -- random edits over corpus specs ------------------------------------------------------------------

_SCALAR = re.compile(r"^(\s*)([\w$.\-]+): ([^\s\[{&*!|>'\"#][^#]*)$")
_OPENS = re.compile(r"^(\s*)([\w$.\-]+):\s*$")


def _entry_lines(text: str, path: Path) -> list[tuple[int, int]]:
    """(first line, end line) of each entry (0-based, end exclusive)."""
    doc = load(path)
    found = entries(doc)
    if found is None:
        return []
    lines = text.split("\n")
    spans = []
    for section_path, key in found.keys.values():
        mark = doc.source.maps[section_path][1][key]
        end = mark.line + 1
        while end < len(lines):
            line = lines[end]
            stripped = line.lstrip()
            if stripped and not stripped.startswith("#") and len(line) - len(stripped) <= mark.column:
                break
            end += 1
        spans.append((mark.line, end))
    return spans


def _edit(text: str, path: Path, rng: random.Random, history: list[str]) -> str:
    lines = text.split("\n")
    spans = _entry_lines(text, path)
    kind = rng.choice(["shift", "value", "value", "bogus", "revert", "drop", "dup"] if spans else ["shift"])
    if kind == "revert" and history:
        return history[-1]
    if kind == "shift" or not spans:
        roots = [i for i, line in enumerate(lines) if line[:1].isalpha()] or [0]
        at = rng.choice(roots)
        return "\n".join([*lines[:at], "# shifted", "", *lines[at:]])
    first, end = rng.choice(spans)
    if kind == "drop":
        return "\n".join(lines[:first] + lines[end:])
    if kind == "dup":
        block = list(lines[first:end])
        block[0] = re.sub(
            r"^(\s*)([^:]+):", lambda m: f"{m[1]}{m[2].strip(chr(39) + chr(34))}Copy:", block[0]
        )
        return "\n".join(lines[:end] + block + lines[end:])
    body = range(first, end)
    if kind == "value":
        candidates = [i for i in body if _SCALAR.match(lines[i])]
        if candidates:
            i = rng.choice(candidates)
            m = _SCALAR.match(lines[i])
            assert m is not None
            new = rng.choice([m[3].rstrip() + "x", "42", "true", "[1, 2]", "null", "strng"])
            lines[i] = f"{m[1]}{m[2]}: {new}"
            return "\n".join(lines)
    openers = [i for i in body if _OPENS.match(lines[i]) and i + 1 < len(lines)]
    for i in rng.sample(openers, len(openers)):
        nxt = lines[i + 1]
        indent = len(nxt) - len(nxt.lstrip())
        if indent > len(lines[i]) - len(lines[i].lstrip()) and not nxt.lstrip().startswith("-"):
            lines.insert(i + 1, " " * indent + "bogusField: 1")
            return "\n".join(lines)
    return "\n".join([*lines[:first], "# shifted", *lines[first:]])


def _corpus_specs() -> list[Path]:
    corpus = require_shared() / "corpus"
    found = sorted(
        p
        for p in corpus.rglob("*")
        if p.suffix in (".yaml", ".yml") and "asyncapi" in p.read_text(errors="ignore")[:400]
    )
    return found


def test_random_edits_of_corpus_specs_memo_equals_cold(tmp_path: Path) -> None:
    rng = random.Random(20261129)
    specs = _corpus_specs()
    candidates = rng.sample(specs, len(specs))
    used = skipped = compared = with_problems = 0
    for number, source in enumerate(candidates):
        if used == 24:
            break
        work = tmp_path / f"s{number}"
        work.mkdir()
        spec = work / source.name
        text = source.read_text(encoding="utf-8")
        spec.write_text(text, encoding="utf-8")
        try:
            if entries(load(spec)) is None:
                continue
        except (SpecError, SpecErrors):
            continue  # needs files next to it, or is broken before validation
        used += 1
        memo = _memo_dir(work)
        history = [text]
        for _step in range(8):
            result = _both(spec, memo)
            if result is not None:
                cold, warm, count = result
                assert warm == cold, f"{source} after edits:\n{spec.read_text()}"
                compared += 1
                skipped += count
                with_problems += bool(cold)
            text = _edit(text, spec, rng, history) if result is not None else history[-1]
            history.append(spec.read_text(encoding="utf-8"))
            spec.write_text(text, encoding="utf-8")
    assert used == 24 and compared > 100
    assert skipped > 0 and with_problems > 10  # both the memo and the problems were exercised


def test_generate_keeps_a_memo_only_when_caching(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tmp_path / "spec.yaml"
    shutil.copy(REPO_ROOT / "specs" / "streetlights-mqtt.asyncapi.yaml", spec)
    out = tmp_path / "out"
    generate(spec, out)
    memo = project_cache(out) / file_name(load(spec))
    assert any(json.loads(memo.read_bytes())["fingerprints"])
    memo.unlink()
    generate(spec, out, check=True)  # --check writes nothing
    assert not memo.exists()
    generate(spec, out, cache=False)  # --no-cache neither
    assert not memo.exists()
    monkeypatch.setenv("ASYNCGEN_NO_CACHE", "1")
    generate(spec, out, force=True)
    assert not memo.exists()
