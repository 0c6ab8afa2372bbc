"""asyncgen.fingerprint: entry fingerprints from the source text, and the refs between entries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from asyncgen.fingerprint import entries, entry_fingerprints
from asyncgen.load import load, load_data

SPEC = """\
asyncapi: 3.0.0
info:
  title: T
  version: '1'
channels:
  a:
    address: a.{id}
    parameters:
      id:
        $ref: '#/components/parameters/id'
    messages:
      m:
        $ref: '#/components/messages/M'
  b:
    address: b
    messages:
      m: {$ref: '#/channels/a/messages/m'}
operations:
  send:
    action: send
    channel: {$ref: '#/channels/a'}
components:
  parameters:
    id: {description: x}
  messages:
    M:
      payload:
        $ref: '#/components/schemas/S'
  schemas:
    S:
      type: object
    T: {type: string}
"""


def _load(tmp_path: Path, text: str, name: str = "spec.yaml") -> Any:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load(path)


def test_entries_of_every_section_with_their_refs(tmp_path: Path) -> None:
    doc = _load(tmp_path, SPEC)
    found = entries(doc)
    assert found is not None
    assert list(found.fingerprints) == [
        "/info/title", "/info/version", "/channels/a", "/channels/b", "/operations/send",
        "/components/parameters/id", "/components/messages/M", "/components/schemas/S",
        "/components/schemas/T",
    ]  # fmt: skip
    assert found.sections[("channels",)] is doc.root["channels"]
    assert found.keys["/components/schemas/S"] == (("components", "schemas"), "S")
    deps = found.dependencies()
    assert deps["/channels/a"] == {"/components/parameters/id", "/components/messages/M"}
    assert deps["/channels/b"] == {"/channels/a"}  # a pointer through a: a's refs say where it leads
    assert deps["/operations/send"] == {"/channels/a"}
    assert deps["/components/messages/M"] == {"/components/schemas/S"}
    assert deps["/components/schemas/T"] == frozenset()
    assert found.dependencies(["/channels/b"]) == {"/channels/b": {"/channels/a"}}
    assert found.entry_of("/channels/a/messages/m") == "/channels/a"
    assert found.entry_of("/components/schemas/S/type") == "/components/schemas/S"
    assert found.entry_of("/components/schemas") is None
    assert found.entry_of("/asyncapi") is None


def test_moving_text_keeps_fingerprints_and_an_edit_changes_only_its_entry(tmp_path: Path) -> None:
    base = entry_fingerprints(_load(tmp_path, SPEC))
    assert base is not None
    assert entry_fingerprints(_load(tmp_path, "# a comment\n\n\n" + SPEC)) == base
    # (text between two entries belongs to the first one)
    shifted = entry_fingerprints(_load(tmp_path, SPEC.replace("channels:\n", "# a comment\n\nchannels:\n")))
    assert shifted is not None
    assert {p for p in base if base[p] != shifted[p]} == {"/info/version"}
    edited = entry_fingerprints(_load(tmp_path, SPEC.replace("type: object", "type: array")))
    assert edited is not None
    assert {p for p in base if base[p] != edited[p]} == {"/components/schemas/S"}
    # a section's digest changes with any of its entries, and only then
    before, after = (
        entries(_load(tmp_path, SPEC)),
        entries(_load(tmp_path, SPEC.replace("type: object", "type: array"))),
    )
    assert before is not None and after is not None
    changed = {p for p in before.section_digests if before.section_digests[p] != after.section_digests[p]}
    assert changed == {("components", "schemas")}
    doc = _load(tmp_path, SPEC)
    found = entries(doc)
    assert found is not None and found.fingerprint_of("/channels/b") == found.fingerprints["/channels/b"]
    # the last entry of a section ends where the next section starts
    renamed = entry_fingerprints(_load(tmp_path, SPEC.replace("operations:", "# ops\noperations:")))
    assert renamed is not None
    assert {p for p in base if base[p] != renamed[p]} == {"/channels/b"}


def test_same_text_at_another_indentation_is_another_fingerprint(tmp_path: Path) -> None:
    two = "asyncapi: 3.0.0\nchannels:\n  a: {address: x}\n  b: {address: y}\n"
    four = "asyncapi: 3.0.0\nchannels:\n    a: {address: x}\n    b: {address: y}\n"
    first, second = entry_fingerprints(_load(tmp_path, two)), entry_fingerprints(_load(tmp_path, four))
    assert first is not None and second is not None
    assert first["/channels/a"] != second["/channels/a"]  # (the same text "a: {address: x}\n  ")
    assert first["/channels/a"].endswith("@2") and second["/channels/a"].endswith("@4")
    digests = []
    for indent in ("  ", "    "):
        found = entries(_load(tmp_path, f"asyncapi: 3.0.0\nchannels:\n{indent}a: {{address: x}}\n"))
        assert found is not None
        digests.append(found.section_digests[("channels",)])
    assert digests[0] != digests[1]  # (the same text from the first key on: "a: {address: x}\n")


def test_no_fingerprints_when_the_span_logic_is_not_safe(tmp_path: Path) -> None:
    anchors = SPEC.replace("    id: {description: x}", "    id: &p {description: x}\n    other: *p")
    merges = SPEC.replace("    T: {type: string}", "    T:\n      <<: {type: string}")
    tags = "%TAG !e! tag:example.com,2000:\n---\n" + SPEC
    assert entry_fingerprints(_load(tmp_path, anchors)) is None
    assert entry_fingerprints(_load(tmp_path, merges)) is None
    assert entry_fingerprints(_load(tmp_path, tags)) is None
    # (a directive, not the word: "%TAG" in a comment or a scalar changes nothing)
    assert entry_fingerprints(_load(tmp_path, "# %TAG !e! x\n---\n" + SPEC)) is not None
    assert entry_fingerprints(load_data(json.loads(json.dumps({"asyncapi": "3.0.0"})))) is None
    # JSON that libyaml refuses (a key over 1024 characters) is read by the strict JSON parser
    long_key = json.dumps({"asyncapi": "3.0.0", "channels": {"k" * 1100: {"address": "x"}}})
    assert entry_fingerprints(_load(tmp_path, long_key, "spec.json")) is None


def test_flow_and_ref_sections_have_no_entries_and_refs_into_them_leave_the_entries(
    tmp_path: Path,
) -> None:
    (tmp_path / "other.yaml").write_text("X: {type: string}\n", encoding="utf-8")
    text = (
        "asyncapi: 3.0.0\n"
        "channels: {a: {address: x}}\n"
        "operations:\n"
        "  o1: {action: send, channel: {$ref: '#/channels/a'}}\n"
        "  o2: {action: send, channel: {$ref: 'other.yaml#/X'}}\n"
        "  o3: {action: send, x-all: {$ref: '#/operations'}}\n"
        "  o4: {action: send, x-s: {$ref: '#/components/schemas/X'}}\n"
        "components:\n"
        "  schemas:\n"
        "    $ref: 'other.yaml'\n"
    )
    found = entries(_load(tmp_path, text))
    assert found is not None
    assert list(found.fingerprints) == [
        "/operations/o1",
        "/operations/o2",
        "/operations/o3",
        "/operations/o4",
    ]
    deps = found.dependencies()
    assert deps == {
        "/operations/o1": None,
        "/operations/o2": None,
        "/operations/o3": None,
        "/operations/o4": None,
    }


def test_a_quoted_key_with_slash_and_tilde_is_escaped_like_locations(tmp_path: Path) -> None:
    text = "openapi: 3.1.0\npaths:\n  /pets/{id}:\n    get: {}\n  '~x': {}\n"
    doc = _load(tmp_path, text)
    fps = entry_fingerprints(doc)
    assert fps is not None
    assert list(fps) == ["/paths/~1pets~1{id}", "/paths/~0x"]
    assert doc.root["paths"]["/pets/{id}"].loc.pointer == "/paths/~1pets~1{id}"


def test_non_ascii_text_spans_by_characters(tmp_path: Path) -> None:
    text = SPEC.replace("address: b", "address: b\n    description: café ✓ 😀").replace(
        "T: {", "T: {title: ü, "
    )
    base = entry_fingerprints(_load(tmp_path, text))
    assert base is not None
    assert entry_fingerprints(_load(tmp_path, "# ö\n" + text)) == base
    edited = entry_fingerprints(_load(tmp_path, text.replace("café", "cafe")))
    assert edited is not None
    assert {p for p in base if base[p] != edited[p]} == {"/channels/b"}
    ascii_only = entry_fingerprints(_load(tmp_path, SPEC))
    assert ascii_only is not None and ascii_only["/operations/send"] == base["/operations/send"]


def test_dependencies_of_a_few_entries_see_refs_spelled_with_escapes(tmp_path: Path) -> None:
    old = "    messages:\n      m: {$ref: '#/channels/a/messages/m'}"
    text = SPEC.replace(old, '    x-m: {"\\u0024ref": "#/x/y"}') + "x:\n  y: {z: 1}\n"
    found = entries(_load(tmp_path, text))
    assert found is not None
    # for a few entries only those with "$ref" or a backslash in their text are looked into
    assert (
        found.dependencies(["/channels/b"])
        == {"/channels/b": {"/x/y"}}
        == {"/channels/b": found.dependencies()["/channels/b"]}
    )
    assert found.dependencies(["/components/schemas/S", "/channels/a"]) == {
        "/components/schemas/S": frozenset(),
        "/channels/a": {"/components/parameters/id", "/components/messages/M"},
    }
