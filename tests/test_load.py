"""asyncgen.load: YAML 1.2/JSON reading, locations, $ref resolution, the corpus."""

from __future__ import annotations

import csv
import importlib
import json
import math
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ADEO_PREFIXES, corpus_load_options, require_shared

from asyncgen import yaml12
from asyncgen.document import Document, LoadOptions, MapNode, SeqNode
from asyncgen.errors import Location, SpecError, SpecErrors
from asyncgen.jsonpos import parse_json
from asyncgen.load import load, load_data

load_module = importlib.import_module("asyncgen.load")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def errors_of(exc: SpecError | SpecErrors) -> list[SpecError]:
    return exc.errors if isinstance(exc, SpecErrors) else [exc]


def load_text(tmp_path: Path, text: str, name: str = "spec.yaml", **options: Any) -> Document:
    return load(write(tmp_path / name, text), LoadOptions(**options))


def fails(tmp_path: Path, text: str, name: str = "spec.yaml", **options: Any) -> list[SpecError]:
    with pytest.raises((SpecError, SpecErrors)) as info:
        load_text(tmp_path, text, name, **options)
    return errors_of(info.value)


# -- YAML 1.2 core schema ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on", "on"),
        ("off", "off"),
        ("yes", "yes"),
        ("no", "no"),
        ("y", "y"),
        ("n", "n"),
        ("Yes", "Yes"),
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("False", False),
        ("FALSE", False),
        ("tRUE", "tRUE"),
        ("18:00", "18:00"),
        ("1:30:00", "1:30:00"),
        ("2020-01-31T13:24:53Z", "2020-01-31T13:24:53Z"),
        ("2020-01-31", "2020-01-31"),
        ("0o17", 15),
        ("0x1F", 31),
        ("0x1f", 31),
        ("017", 17),
        ("-12", -12),
        ("+12", 12),
        ("1_000", "1_000"),
        ("0b101", "0b101"),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("-.5", -0.5),
        ("5.", 5.0),
        (".inf", math.inf),
        ("-.Inf", -math.inf),
        ("+.INF", math.inf),
        ("~", None),
        ("null", None),
        ("Null", None),
        ("NULL", None),
        ("", None),
        ("nil", "nil"),
        ("'true'", "true"),
        ('"18"', "18"),
        ("!!str 18", "18"),
        ('!!int "0x10"', 16),
        ("!!float 3", 3.0),
        ("!!bool true", True),
        ("!!null ''", None),
        ("! 12", "12"),
        ("12345678901234567890123", 12345678901234567890123),
    ],
)
def test_yaml_12_core_scalars(tmp_path: Path, text: str, expected: Any) -> None:
    doc = load_text(tmp_path, f"asyncapi: 3.0.0\nvalue: {text}\n")
    value = doc.root["value"]
    assert value == expected
    assert type(value) is type(expected)


def test_nan(tmp_path: Path) -> None:
    doc = load_text(tmp_path, "a: .nan\nb: .NaN\nc: .NAN\n")
    assert all(math.isnan(doc.root[k]) for k in "abc")


def test_streetlights_on_off_enum_stays_strings(tmp_path: Path) -> None:
    doc = load_text(tmp_path, "command:\n  type: string\n  enum: [on, off]\n")
    assert doc.root["command"]["enum"] == ["on", "off"]


@pytest.mark.parametrize(
    "tag", ["!!python/object:os.system", "!!python/name:os.system", "!!binary", "!custom"]
)
def test_non_core_tags_are_errors(tmp_path: Path, tag: str) -> None:
    (error,) = fails(tmp_path, f"asyncapi: 3.0.0\nx: {tag} ls\n")
    assert "unsupported YAML tag" in error.message
    assert (error.line, error.column) == (2, 4)


def test_python_object_tag_on_mapping_is_refused(tmp_path: Path) -> None:
    (error,) = fails(tmp_path, "x: !!python/object:collections.OrderedDict {a: 1}\n")
    assert "!!python/object:collections.OrderedDict" in error.message


def test_bad_core_tag_value(tmp_path: Path) -> None:
    (error,) = fails(tmp_path, "x: !!int twelve\n")
    assert "not a valid int" in error.message


def test_keys_become_strings(tmp_path: Path) -> None:
    doc = load_text(tmp_path, "responses:\n  200: ok\n  4XX: bad\n  1.5: f\n  true: t\n  null: n\n")
    assert list(doc.root["responses"]) == ["200", "4XX", "1.5", "true", "null"]


def test_complex_keys_are_errors(tmp_path: Path) -> None:
    (error,) = fails(tmp_path, "? [a, b]\n: 1\n")
    assert "complex mapping keys" in error.message
    assert error.line == 1


def test_duplicate_keys_name_both_locations(tmp_path: Path) -> None:
    errors = fails(tmp_path, "asyncapi: 3.0.0\ninfo:\n  title: a\n  title: b\nchannels: {}\nchannels: {}\n")
    assert [(e.line, e.column) for e in errors] == [(4, 3), (6, 1)]
    assert "duplicate key 'title'" in errors[0].message
    assert "line 3:3" in errors[0].message
    assert "line 5:1" in errors[1].message
    assert errors[0].pointer == "/info/title"


def test_merge_keys_and_aliases(tmp_path: Path) -> None:
    doc = load_text(
        tmp_path,
        """
        base: &base {type: object, description: base}
        other: &other {title: other, description: other}
        derived:
          <<: [*base, *other]
          description: mine
        again: *base
        quoted:
          "<<": literal
        """,
    )
    root = doc.root
    assert root["derived"] == {"type": "object", "title": "other", "description": "mine"}
    assert root["again"] is root["base"]  # aliases share the node
    assert root["quoted"] == {"<<": "literal"}


def test_multiple_documents_are_an_error(tmp_path: Path) -> None:
    (error,) = fails(tmp_path, "asyncapi: 3.0.0\n---\nasyncapi: 2.6.0\n")
    assert "more than one YAML document" in error.message
    assert error.line == 2


def test_leading_document_marker_is_fine(tmp_path: Path) -> None:
    assert load_text(tmp_path, "---\nasyncapi: 3.0.0\n...\n").version == "3.0.0"


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "~\n"])
def test_empty_document(tmp_path: Path, text: str) -> None:
    (error,) = fails(tmp_path, text)
    assert error.message == "empty document; expected a mapping with `asyncapi:` or `openapi:`"
    assert error.line == 1


@pytest.mark.parametrize(
    ("text", "name", "what"),
    [
        ("[1, 2]", "spec.json", "a list"),
        ('"asyncapi"', "spec.json", "a string"),
        ("42", "spec.json", "a number"),
        ("- a\n- b\n", "spec.yaml", "a list"),
        ("just text\n", "spec.yaml", "a string"),
    ],
)
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str, name: str, what: str) -> None:
    (error,) = fails(tmp_path, text, name)
    assert error.message.startswith("top level must be a mapping")
    assert what in error.message
    assert error.line >= 1


def test_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    (error,) = fails(tmp_path, "asyncapi: 3.0.0\ninfo:\n  title: x\n bad: indent\n")
    assert error.message.startswith("YAML syntax error")
    assert error.line == 4
    assert error.file.endswith("spec.yaml")


def test_tabs_for_indentation_get_a_hint(tmp_path: Path) -> None:
    (error,) = fails(tmp_path, "asyncapi: 3.0.0\ninfo:\n\ttitle: x\n")
    assert error.line == 3
    assert error.hint and "tab" in error.hint


# -- locations -----------------------------------------------------------------------


def test_locations_of_nodes_keys_and_items(tmp_path: Path) -> None:
    doc = load_text(
        tmp_path,
        """
        asyncapi: 3.0.0
        channels:
          user/signedup:
            address: "a~b"
            tags:
              - name: one
              - two
        """,
    )
    channels = doc.raw["channels"]
    assert isinstance(channels, MapNode)
    assert (channels.loc.line, channels.loc.column, channels.loc.pointer) == (3, 3, "/channels")
    channel = channels["user/signedup"]
    assert channel.loc.pointer == "/channels/user~1signedup"
    key = channel.key_loc("address")
    assert (key.line, key.column, key.pointer) == (4, 5, "/channels/user~1signedup/address")
    tags = channel["tags"]
    assert isinstance(tags, SeqNode)
    assert [(loc.line, loc.column, loc.pointer) for loc in tags.item_locs] == [
        (6, 9, "/channels/user~1signedup/tags/0"),
        (7, 9, "/channels/user~1signedup/tags/1"),
    ]
    assert tags[0].loc.pointer == "/channels/user~1signedup/tags/0"
    assert doc.root.loc.file == str(tmp_path / "spec.yaml")


def _every_location(node: Any, seen: set[int] | None = None) -> list[Any]:
    """Every location a tree reports, through each accessor, in a fixed order."""
    seen = set() if seen is None else seen
    if id(node) in seen or not isinstance(node, MapNode | SeqNode):
        return []
    seen.add(id(node))
    found: list[Any] = [node.loc]
    if isinstance(node, MapNode):
        found += [(key, node.key_loc(key)) for key in node]  # one key at a time first...
        found.append(dict(node.key_locs))  # ...then all of them
        children = list(node.values())
    else:
        found += [node.item_loc(index) for index in range(len(node) + 1)]
        found.append(list(node.item_locs))
        children = list(node)
    for child in children:
        found += _every_location(child, seen)
    return found


def test_locations_built_on_demand_equal_the_json_parsers(tmp_path: Path) -> None:
    """The YAML composer keeps marks and builds Locations when asked; the JSON parser builds them at once."""
    text = (
        '{"asyncapi": "3.0.0", "paths": {"/a/{id}": {"x~y": [1, {"k": [[], {}]}, "s"]}},\n'
        '  "list": [\n    {"$ref": "#/paths"}, 2, {"a/b": {"c": null}}],\n  "": {"": 1}}'
    )
    path = write(tmp_path / "spec.json", text)
    composed = yaml12.compose(text, str(path), max_depth=50, max_nodes=1000)
    strict = parse_json(text, str(path), max_depth=50, max_nodes=1000)
    assert composed.root == strict.root
    assert _every_location(composed.root) == _every_location(strict.root)
    locations = _every_location(composed.root)
    assert ("x~y", Location(str(path), 1, 45, "/paths/~1a~1{id}/x~0y")) in locations
    assert Location(str(path), 3, 37, "/list/2/a~1b") in locations  # a mapping in a list
    # the resolved copy (Document.root) reports the same locations as Document.raw
    doc = load(path)
    assert _every_location(doc.raw["paths"]) == _every_location(doc.root["paths"])
    assert doc.raw["list"].item_locs == doc.root["list"].item_locs


def test_key_and_item_locations_can_be_written(tmp_path: Path) -> None:
    doc = load_text(tmp_path, "asyncapi: 3.0.0\ninfo: {title: t}\ntags: [a]\n")
    assert doc.root["info"].key_loc("title") == Location(str(tmp_path / "spec.yaml"), 2, 8, "/info/title")
    info, tags = doc.root["info"], doc.root["tags"]
    moved = Location("elsewhere.yaml", 9, 9, "/x")
    info.key_locs["title"] = moved
    assert info.key_loc("title") == moved
    tags.item_locs[0] = moved
    assert tags.item_loc(0) == moved
    info.loc = moved
    assert info.loc == moved
    assert info.key_loc("other") == Location("elsewhere.yaml", 9, 9, "/x/other")


def test_merge_key_locations_point_into_the_merged_mapping(tmp_path: Path) -> None:
    doc = load_text(tmp_path, "asyncapi: 3.0.0\nbase: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n")
    merged = doc.root["m"]
    file = str(tmp_path / "spec.yaml")
    assert merged == {"x": 1, "y": 3}
    assert merged.key_loc("x") == Location(file, 2, 11, "/base/x")  # where the merged key is written
    assert merged.key_loc("y") == Location(file, 5, 3, "/m/y")
    assert set(merged.key_locs) == {"x", "y"}


def test_relative_display_path_as_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "specs" / "api.yaml", "asyncapi: 3.0.0\nx:\n  $ref: './parts/x.yaml'\n")
    write(tmp_path / "specs" / "parts" / "x.yaml", "type: string\n")
    monkeypatch.chdir(tmp_path)
    doc = load("specs/api.yaml")
    assert doc.root.loc.file == "specs/api.yaml"
    assert doc.display_path == "specs/api.yaml"
    assert doc.root["x"].loc.file == "specs/parts/x.yaml"
    assert doc.files == (Path("specs/api.yaml"), Path("specs/parts/x.yaml"))
    assert doc.path == Path("specs/api.yaml")


# -- JSON ------------------------------------------------------------------------------


def test_json_loads_with_locations(tmp_path: Path) -> None:
    doc = load_text(tmp_path, '{\n  "openapi": "3.1.0",\n  "paths": {\n    "/a": {}\n  }\n}\n', "spec.json")
    assert (doc.family, doc.version) == ("openapi", "3.1.0")
    assert doc.root["paths"].key_loc("/a").line == 4
    assert doc.root["paths"]["/a"].loc.pointer == "/paths/~1a"


def test_json_with_tabs(tmp_path: Path) -> None:
    doc = load_text(
        tmp_path, '{\n\t"asyncapi": "3.0.0",\n\t"info": {\n\t\t"title": "t"\n\t}\n}\n', "spec.json"
    )
    assert doc.root["info"]["title"] == "t"


def test_json_only_constructs_fall_back_to_json_parser(tmp_path: Path) -> None:
    long_key = "k" * 1500
    text = '{"asyncapi": "3.0.0", "x": {"' + long_key + '": 1}, "y"\n: [1, 2.5, true, null, "\\u00e9"]}'
    doc = load_text(tmp_path, text, "spec.json")
    assert doc.root["x"][long_key] == 1
    assert doc.root["y"] == [1, 2.5, True, None, "é"]
    assert doc.root["y"].loc.line == 2
    assert doc.root["x"].key_loc(long_key).pointer == "/x/" + long_key


def test_json_fallback_reports_duplicates_and_syntax(tmp_path: Path) -> None:
    long_key = "k" * 1500
    errors = fails(tmp_path, '{"' + long_key + '": 1,\n "' + long_key + '": 2}', "spec.json")
    assert "duplicate key" in errors[0].message
    assert errors[0].line == 2
    (error,) = fails(tmp_path, '{"asyncapi": "3.0.0",\n "a": [1, 2}\n', "bad.json")
    assert error.line == 2


def test_json_strings_that_look_like_yaml_stay_strings(tmp_path: Path) -> None:
    doc = load_text(tmp_path, '{"a": "on", "b": "18:00", "c": "0x10", "d": 1.0, "e": 10}', "spec.json")
    assert doc.root == {"a": "on", "b": "18:00", "c": "0x10", "d": 1.0, "e": 10}
    assert isinstance(doc.root["d"], float)


def test_pure_python_yaml_parser_gives_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "asyncapi: 3.0.0\nx: &a {on: yes, t: 18:00, n: 0x1F}\ny: *a\nz: [1, 'two', .inf]\n"
    fast = load_text(tmp_path, text)
    monkeypatch.setattr(yaml12, "_CParser", None)
    slow = load_text(tmp_path, text)
    assert fast.root == slow.root
    assert fast.root["z"].item_locs == slow.root["z"].item_locs
    assert fast.root["x"].key_locs == slow.root["x"].key_locs


def test_utf16_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_bytes("asyncapi: 3.0.0\ntitle: é\n".encode("utf-16"))
    assert load(path).root["title"] == "é"


# -- family / version ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "family", "version"),
    [
        ("asyncapi: 3.0.0\n", "asyncapi", "3.0.0"),
        ("asyncapi: '2.6.0'\n", "asyncapi", "2.6.0"),
        ("openapi: 3.1.0\n", "openapi", "3.1.0"),
        ("info: {title: x}\n", "unknown", ""),
    ],
)
def test_family_and_version(tmp_path: Path, text: str, family: str, version: str) -> None:
    doc = load_text(tmp_path, text)
    assert (doc.family, doc.version) == (family, version)


# -- local refs ------------------------------------------------------------------------------


def test_local_refs_become_the_target_object(tmp_path: Path) -> None:
    doc = load_text(
        tmp_path,
        """
        asyncapi: 3.0.0
        channels:
          user/{id}:
            address: user/{id}
          "a~b":
            address: ab
        operations:
          op:
            channel: {$ref: '#/channels/user~1%7Bid%7D'}
          op2:
            channel: {$ref: '#/channels/a~0b'}
        """,
    )
    root = doc.root
    assert root["operations"]["op"]["channel"] is root["channels"]["user/{id}"]
    assert root["operations"]["op2"]["channel"] is root["channels"]["a~b"]
    assert root["channels"]["user/{id}"].ref == "#/channels/user~1%7Bid%7D"
    # raw is untouched
    assert doc.raw["operations"]["op"]["channel"] == {"$ref": "#/channels/user~1%7Bid%7D"}
    assert doc.raw is not doc.root


def test_chained_refs_and_list_indexes(tmp_path: Path) -> None:
    doc = load_text(
        tmp_path,
        """
        a: {$ref: '#/b'}
        b: {$ref: '#/c/1'}
        c: [zero, {name: one}]
        """,
    )
    assert doc.root["a"] is doc.root["c"][1]
    assert doc.root["b"] is doc.root["c"][1]


def test_recursive_schemas_are_object_cycles(tmp_path: Path) -> None:
    doc = load_text(
        tmp_path,
        """
        asyncapi: 3.0.0
        components:
          schemas:
            Category:
              type: object
              properties:
                self: {$ref: '#/components/schemas/Category'}
                children:
                  type: array
                  items: {$ref: '#/components/schemas/Category'}
                parent:
                  allOf:
                    - $ref: '#/components/schemas/Tree'
            Tree:
              oneOf:
                - {$ref: '#/components/schemas/Category'}
                - properties:
                    up: {$ref: '#/components/schemas/Tree'}
        """,
    )
    schemas = doc.root["components"]["schemas"]
    category, tree = schemas["Category"], schemas["Tree"]
    assert category["properties"]["self"] is category
    assert category["properties"]["children"]["items"] is category
    assert category["properties"]["parent"]["allOf"][0] is tree
    assert tree["oneOf"][0] is category
    assert tree["oneOf"][1]["properties"]["up"] is tree
    assert len(list(doc.walk())) < 20  # walk terminates


def test_ref_with_siblings_is_a_merged_node(tmp_path: Path) -> None:
    doc = load_text(
        tmp_path,
        """
        components:
          schemas:
            Base: {type: string, description: base}
        use:
          $ref: '#/components/schemas/Base'
          description: mine
        """,
    )
    base = doc.root["components"]["schemas"]["Base"]
    used = doc.root["use"]
    assert used == {"type": "string", "description": "mine"}
    assert used is not base
    assert used.ref_target is base
    assert base["description"] == "base"
    assert used.key_loc("description").line == 6
    assert used.key_loc("type").line == 3


def test_gg_orders_ref_with_space_before_colon(tmp_path: Path) -> None:
    doc = load_text(tmp_path, "a: {x: 1}\nb:\n  $ref : '#/a'\n")
    assert doc.root["b"] is doc.root["a"]


def test_circular_ref_chain_is_an_error(tmp_path: Path) -> None:
    (error,) = fails(tmp_path, "a: {$ref: '#/b'}\nb: {$ref: '#/a'}\n")
    assert "circular $ref" in error.message
    assert error.line > 0


def test_self_ref_is_an_error(tmp_path: Path) -> None:
    (error,) = fails(tmp_path, "a:\n  $ref: '#/a'\n")
    assert "circular $ref" in error.message


def test_unresolved_local_ref_message_and_hint(tmp_path: Path) -> None:
    (error,) = fails(
        tmp_path,
        """
        asyncapi: 2.6.0
        components:
          message: {}
          schemas: {}
        channels:
          x:
            publish:
              message:
                $ref: '#/components/messages/x'
        """,
    )
    assert error.message == "unresolved $ref '#/components/messages/x': components has no key 'messages'"
    assert (error.line, error.column) == (9, 9)
    assert error.pointer == "/channels/x/publish/message"
    assert error.hint is not None
    assert "did you mean 'message'" in error.hint
    assert "schemas" in error.hint


def test_unresolved_refs_are_all_reported_once_per_cause(tmp_path: Path) -> None:
    errors = fails(
        tmp_path,
        """
        a: {$ref: '#/nope'}
        b: {$ref: '#/a'}
        c: {$ref: '#/list/5'}
        d: {$ref: '#/list/x'}
        e: {$ref: '#/s/deeper'}
        f: {$ref: 'nothere'}
        list: [1]
        s: text
        """,
    )
    messages = [e.message for e in errors]
    assert len(errors) == 5, messages  # b fails only because a does: not reported again
    assert "has no item 5 (it has 1)" in messages[1]
    assert "is not an index" in messages[2]
    assert "s is a string" in messages[3]
    assert "not a JSON pointer" in messages[4] or "file not found" in messages[4]


# -- files -----------------------------------------------------------------------------------


def test_relative_files_resolve_against_the_referring_file(tmp_path: Path) -> None:
    root = write(
        tmp_path / "api.yaml",
        """
        asyncapi: 3.0.0
        components:
          schemas:
            Order: {$ref: './schemas/order.json#/$defs/Order'}
            Line: {$ref: './schemas/order.json#/$defs/Line'}
        """,
    )
    write(
        tmp_path / "schemas" / "order.json",
        """
        {"$defs": {
           "Order": {"type": "object", "properties": {"lines": {"items": {"$ref": "#/$defs/Line"}},
                                                      "money": {"$ref": "./common/money.yaml"}}},
           "Line": {"type": "object", "properties": {"order": {"$ref": "#/$defs/Order"}}}}}
        """,
    )
    write(tmp_path / "schemas" / "common" / "money.yaml", "type: number\n")
    write(tmp_path / "common" / "money.yaml", "type: string  # the wrong one\n")
    doc = load(root)
    schemas = doc.root["components"]["schemas"]
    order, line = schemas["Order"], schemas["Line"]
    assert order["properties"]["lines"]["items"] is line
    assert line["properties"]["order"] is order
    assert order["properties"]["money"] == {"type": "number"}
    assert order.loc.file == str(tmp_path / "schemas" / "order.json")
    assert order.loc.pointer == "/$defs/Order"
    assert order.loc.line == 2
    assert [p.name for p in doc.files] == ["api.yaml", "order.json", "money.yaml"]


def test_each_file_is_parsed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(
        tmp_path / "api.yaml",
        "a: {$ref: 'x.yaml#/a'}\nb: {$ref: './x.yaml#/b'}\nc: {$ref: 'sub/../x.yaml'}\n",
    )
    write(tmp_path / "x.yaml", "a: 1\nb: {k: v}\n")
    calls: list[str] = []
    real = load_module.read_local

    def counting(path: Path, *args: Any) -> bytes:
        calls.append(path.name)
        return real(path, *args)

    monkeypatch.setattr(load_module, "read_local", counting)
    doc = load(tmp_path / "api.yaml")
    assert calls == ["api.yaml", "x.yaml"]
    assert doc.root["c"]["b"] is doc.root["b"]


def test_pointer_through_an_external_ref(tmp_path: Path) -> None:
    """The hoppscotch case: #/channels/echo/messages/x where channels.echo is itself an external $ref."""
    root = write(
        tmp_path / "client.yml",
        """
        asyncapi: 3.0.0
        channels:
          echo: {$ref: './commons/channels.yml#/channels/echo'}
        operations:
          send:
            channel: {$ref: '#/channels/echo'}
            messages:
              - $ref: '#/channels/echo/messages/echo'
        """,
    )
    write(
        tmp_path / "commons" / "channels.yml",
        "channels:\n  echo:\n    messages:\n      echo: {$ref: '../commons/messages.yml#/messages/echo'}\n",
    )
    write(tmp_path / "commons" / "messages.yml", "messages:\n  echo:\n    payload: {type: string}\n")
    doc = load(root)
    channel = doc.root["channels"]["echo"]
    assert doc.root["operations"]["send"]["channel"] is channel
    assert doc.root["operations"]["send"]["messages"][0] is channel["messages"]["echo"]
    assert channel["messages"]["echo"]["payload"] == {"type": "string"}


def test_ref_to_whole_file_and_file_with_refs_back(tmp_path: Path) -> None:
    root = write(tmp_path / "api.yaml", "asyncapi: 3.0.0\nx: {$ref: 'x.yaml'}\nshared: {k: 1}\n")
    write(tmp_path / "x.yaml", "back: {$ref: 'api.yaml#/shared'}\n")
    doc = load(root)
    assert doc.root["x"]["back"] is doc.root["shared"]


def test_missing_file_names_the_resolved_path(tmp_path: Path) -> None:
    (error,) = fails(tmp_path, "asyncapi: 3.0.0\nx:\n  $ref: 'sub/../missing.yaml#/a'\n")
    assert "file not found" in error.message
    assert str(tmp_path / "missing.yaml") in error.message
    assert (error.line, error.column) == (3, 3)


def test_syntax_error_in_referenced_file_is_located_there(tmp_path: Path) -> None:
    write(tmp_path / "bad.yaml", "a: [1\n")
    (error,) = fails(tmp_path, "x: {$ref: 'bad.yaml#/a'}\n")
    assert error.file == str(tmp_path / "bad.yaml")
    assert error.line > 0


def test_proto_target_loads_as_text(tmp_path: Path) -> None:
    write(tmp_path / "user.proto", 'syntax = "proto3";\nmessage User { string name = 1; }\n')
    doc = load_text(tmp_path, "asyncapi: 3.0.0\npayload:\n  schema: {$ref: './user.proto'}\n")
    assert doc.root["payload"]["schema"].startswith('syntax = "proto3";')


def test_avsc_target_and_avro_record_name_fragment(tmp_path: Path) -> None:
    write(
        tmp_path / "user.avsc",
        json.dumps(
            {
                "namespace": "microcks.avro",
                "type": "record",
                "name": "User",
                "fields": [
                    {"name": "address", "type": {"type": "record", "name": "Address", "fields": []}},
                    {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A"]}},
                ],
            }
        ),
    )
    doc = load_text(
        tmp_path,
        """
        whole: {$ref: './user.avsc'}
        byname: {$ref: './user.avsc#/User'}
        byfullname: {$ref: './user.avsc#/microcks.avro.User'}
        nested: {$ref: './user.avsc#/Address'}
        enum: {$ref: './user.avsc#/microcks.avro.Kind'}
        pointer: {$ref: './user.avsc#/fields/0'}
        """,
    )
    root = doc.root
    assert root["byname"] is root["whole"]
    assert root["byfullname"] is root["whole"]
    assert root["nested"]["name"] == "Address"
    assert root["enum"]["symbols"] == ["A"]
    assert root["pointer"]["name"] == "address"
    (error,) = fails(tmp_path, "x: {$ref: './user.avsc#/Nobody'}\n", "other.yaml")
    assert "has no key 'Nobody'" in error.message


def test_non_pointer_fragment_outside_avro_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "x.yaml", "User: {type: object}\n")
    (error,) = fails(tmp_path, "x: {$ref: 'x.yaml#User'}\n")
    assert "not a JSON pointer" in error.message
    assert error.hint == "write e.g. 'x.yaml#/User'"


# -- refused refs ---------------------------------------------------------------------------


def test_refs_leaving_the_folder_are_refused(tmp_path: Path) -> None:
    write(tmp_path / "outside" / "x.yaml", "a: 1\n")
    outside = "asyncapi: 3.0.0\nx: {$ref: '../outside/x.yaml#/a'}\n"
    errors = fails(tmp_path / "specs", outside + "y: {$ref: '../../../../../../../../etc/passwd'}\n")
    assert len(errors) == 2
    assert all("outside the spec's folder" in e.message for e in errors)
    assert "/etc/passwd" in errors[1].message
    assert errors[0].hint is not None
    assert "--allow-outside" in errors[0].hint
    doc = load_text(tmp_path / "specs", outside, allow_outside=(tmp_path / "outside",))
    assert doc.root["x"] == 1


def test_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "secret" / "s.yaml", "a: 1\n")
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "link.yaml").symlink_to(tmp_path / "secret" / "s.yaml")
    (error,) = fails(tmp_path / "specs", "x: {$ref: 'link.yaml#/a'}\n")
    assert "outside the spec's folder" in error.message


def test_remote_refs_are_refused_by_default(tmp_path: Path) -> None:
    (error,) = fails(tmp_path, "x: {$ref: 'https://example.com/s.yaml#/a'}\n")
    assert "remote refs are refused" in error.message
    assert error.hint is not None
    assert "--allow-remote" in error.hint
    assert "--map-url" in error.hint


def test_map_url_serves_local_copies(tmp_path: Path) -> None:
    schemas = tmp_path / "copies"
    write(schemas / "a.yaml", "A: {type: object, properties: {b: {$ref: 'sub/b.yaml'}}}\n")
    write(schemas / "sub" / "b.yaml", "type: string\n")
    doc = load_text(
        tmp_path / "spec",
        "x: {$ref: 'https://schemas.example.com/v1/a.yaml#/A'}\n",
        map_urls=(("https://schemas.example.com/v1/", schemas),),
    )
    assert doc.root["x"]["properties"]["b"] == {"type": "string"}
    assert doc.root["x"].loc.file == str(schemas / "a.yaml")


def test_mapped_url_must_stay_in_the_mapped_folder(tmp_path: Path) -> None:
    write(tmp_path / "secret.yaml", "a: 1\n")
    (tmp_path / "copies").mkdir()
    (error,) = fails(
        tmp_path / "spec",
        "x: {$ref: 'https://schemas.example.com/v1/../../secret.yaml#/a'}\n",
        map_urls=(("https://schemas.example.com/v1/", tmp_path / "copies"),),
    )
    assert "outside the mapped folder" in error.message
    (error,) = fails(
        tmp_path / "spec",
        "x: {$ref: 'https://schemas.example.com/v1/%2e%2e/secret.yaml#/a'}\n",
        map_urls=(("https://schemas.example.com/v1/", tmp_path / "copies"),),
    )
    assert "outside the mapped folder" in error.message


def test_unsupported_scheme(tmp_path: Path) -> None:
    (error,) = fails(tmp_path, "x: {$ref: 'ftp://example.com/x.yaml'}\n")
    assert "unsupported URL scheme 'ftp'" in error.message


# -- load_data -------------------------------------------------------------------------------


def test_load_data_resolves_and_does_not_mutate(tmp_path: Path) -> None:
    write(tmp_path / "ext.yaml", "E: {type: integer}\n")
    data = {
        "asyncapi": "3.0.0",
        "components": {"schemas": {"A": {"type": "string"}}},
        "x": {"$ref": "#/components/schemas/A"},
        "y": {"$ref": "ext.yaml#/E"},
        "responses": {200: {"description": "ok"}},
    }
    before = json.dumps(data, sort_keys=True, default=str)
    doc = load_data(data, "mem.yaml", base_dir=tmp_path)
    assert json.dumps(data, sort_keys=True, default=str) == before
    assert doc.root["x"] is doc.root["components"]["schemas"]["A"]
    assert doc.root["y"] == {"type": "integer"}
    assert list(doc.root["responses"]) == ["200"]
    assert doc.root["responses"]["200"].loc.pointer == "/responses/200"
    assert (doc.family, doc.version, doc.display_path) == ("asyncapi", "3.0.0", "mem.yaml")


def test_load_data_errors(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="top level must be a mapping"):
        load_data([1, 2])
    cyclic: dict[str, Any] = {"a": {}}
    cyclic["a"]["b"] = cyclic
    with pytest.raises(SpecError, match="contains itself"):
        load_data(cyclic)
    shared = {"k": 1}
    doc = load_data({"a": shared, "b": {"c": shared}})
    assert doc.root["a"] is doc.root["b"]["c"]
    with pytest.raises(SpecError, match="unresolved"):
        load_data({"x": {"$ref": "#/nope"}})


# -- the corpus ------------------------------------------------------------------------------


def manifest_rows() -> list[dict[str, str]]:
    shared = require_shared()
    with (shared / "corpus" / "MANIFEST.tsv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def corpus_specs() -> list[str]:
    try:
        from conftest import SHARED

        with (SHARED / "corpus" / "MANIFEST.tsv").open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
    except OSError:
        return ["<corpus absent>"]
    return [
        r["file"]
        for r in rows
        if r["file"].startswith(("asyncapi/", "openapi/"))
        and r["spec_version"].startswith(("asyncapi", "openapi"))
    ]


@pytest.mark.parametrize("relative", corpus_specs())
def test_corpus_spec_loads(relative: str) -> None:
    shared = require_shared()
    spec = shared / "corpus" / relative
    doc = load(spec, corpus_load_options(spec))
    rows = {r["file"]: r for r in manifest_rows()}
    family, _, version = rows[relative]["spec_version"].partition(" ")
    assert (doc.family, doc.version) == (family, version)
    assert doc.files[0] == spec
    for node, _pointer in doc.walk():  # every ref resolved, every node located
        assert not (isinstance(node, dict) and isinstance(node.get("$ref"), str)), node.loc
        assert node.loc.line > 0, node.loc


def test_corpus_has_the_expected_specs() -> None:
    specs = corpus_specs()
    require_shared()
    assert len(specs) >= 70


def test_adeo_needs_map_url_and_works_with_it() -> None:
    shared = require_shared()
    spec = shared / "corpus" / "asyncapi" / "3.0" / "asyncapi__website__adeo-casestudy" / "asyncapi.yaml"
    with pytest.raises((SpecError, SpecErrors)) as info:
        load(spec)
    assert all("remote refs are refused" in e.message for e in errors_of(info.value))
    text = spec.read_text(encoding="utf-8")
    prefixes = [p for p in ADEO_PREFIXES if p in text]
    assert prefixes
    doc = load(spec, LoadOptions(map_urls=tuple((p, spec.parent) for p in prefixes)))
    payload_files = {Path(f).name for f in doc.files}
    assert {"CostingRequestPayload.avsc", "CostingResponsePayload.avsc"} <= payload_files


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("asyncapi__tck__invalid-syntax.yaml", "top level must be a mapping"),
        ("asyncapi__parser-js__malformed-asyncapi.yaml", "YAML syntax error"),
        (
            "asyncapi__parser-js__inexisting-local-ref.yaml",
            "unresolved $ref '#/components/messages/testMessage'",
        ),
        ("asyncapi__tck__invalid-inexisting-file-ref.yaml", "file not found"),
    ],
)
def test_invalid_corpus_files_are_rejected_with_locations(name: str, needle: str) -> None:
    spec = require_shared() / "corpus" / "invalid" / name
    with pytest.raises((SpecError, SpecErrors)) as info:
        load(spec)
    errors = errors_of(info.value)
    assert any(needle in e.message for e in errors), [e.message for e in errors]
    assert all(e.line > 0 and e.file == str(spec) for e in errors)


def test_microcks_avro_ref_resolves_by_record_name() -> None:
    folder = require_shared() / "corpus" / "invalid" / "microcks__microcks__user-signedup-avro-ref"
    doc = load(folder / "user-signedup-asyncapi-3.0-avro-ref.yaml")
    schema = doc.root["components"]["messages"]["userSignedUp"]["payload"]["schema"]
    assert schema["name"] == "User"
    assert schema["namespace"] == "microcks.avro"


def test_json_strings_keep_nel_and_line_separators(tmp_path: Path) -> None:
    """libyaml (YAML 1.1) folds U+0085/U+2028/U+2029 in quoted strings; JSON and YAML 1.2 keep them."""
    text = json.dumps({"asyncapi": "3.0.0", "a": "x\x85y", "b": "p\u2028q\u2029r"}, ensure_ascii=False)
    doc = load_text(tmp_path, text, "spec.json")
    assert doc.root["a"] == "x\x85y"
    assert doc.root["b"] == "p\u2028q\u2029r"


def test_root_that_is_a_ref_and_symlinked_root(tmp_path: Path) -> None:
    write(tmp_path / "real" / "api.yaml", "asyncapi: 3.0.0\nx: {$ref: 'part.yaml'}\n")
    write(tmp_path / "real" / "part.yaml", "type: string\n")
    write(tmp_path / "link" / "part.yaml", "type: integer\n")
    (tmp_path / "link" / "api.yaml").symlink_to(tmp_path / "real" / "api.yaml")
    doc = load(tmp_path / "link" / "api.yaml")
    assert doc.root["x"] == {"type": "integer"}  # relative to the path as given, like the OS would
    wrapper = write(tmp_path / "real" / "wrapper.yaml", "$ref: 'api.yaml'\n")
    doc = load(wrapper)
    assert (doc.family, doc.version) == ("asyncapi", "3.0.0")
    assert doc.root["x"] == {"type": "string"}
    assert doc.raw == {"$ref": "api.yaml"}


def test_raw_and_root_share_locations_not_nodes(tmp_path: Path) -> None:
    doc = load_text(tmp_path, "a: {b: {c: 1}}\nr: {$ref: '#/a/b'}\n")
    assert doc.raw["a"] is not doc.root["a"]
    assert doc.raw["a"].loc == doc.root["a"].loc
    assert doc.raw["a"].key_locs == doc.root["a"].key_locs
    assert doc.root["r"] is doc.root["a"]["b"]
    assert doc.raw["r"] == {"$ref": "#/a/b"}


def test_raw_is_the_text_as_written_whatever_was_resolved(tmp_path: Path) -> None:
    write(tmp_path / "other.yaml", "x: {y: {$ref: '#/z'}}\nz: [1]\n")
    text = (
        "asyncapi: 3.0.0\nbase: &b {k: {$ref: '#/t'}}\nalias: *b\nt: {v: 1}\n"
        "sib: {$ref: '#/t', description: d, more: {$ref: '#/t'}}\n"
        "list: [{$ref: 'other.yaml#/x'}, {$ref: '#/list/0'}]\n"
    )
    doc = load_text(tmp_path, text)
    root = doc.root
    assert root["base"]["k"] is root["t"] and root["t"].ref == "#/t"
    assert root["sib"]["more"] is root["t"] and root["sib"].ref_target is root["t"]
    assert root["list"][1] is root["list"][0] and root["list"][0]["y"] == [1]
    raw = doc.raw  # read after the resolved graph was walked
    assert raw == yaml.safe_load(text)
    assert raw["alias"] is raw["base"]  # an alias is one node in raw too
    assert raw["t"].ref is None and raw["t"] is not root["t"]
    seen: set[int] = set()
    stack: list[Any] = [raw]
    while stack:  # no node of raw is one of the resolved graph's
        node = stack.pop()
        if isinstance(node, MapNode | SeqNode) and id(node) not in seen:
            seen.add(id(node))
            stack.extend(node.values() if isinstance(node, MapNode) else node)
    assert not any(id(node) in seen for node, _ in doc.walk())
    assert raw["sib"]["more"].loc == Location(str(tmp_path / "spec.yaml"), 5, 42, "/sib/more")
    assert doc.raw is raw  # made once


def test_refs_reached_through_aliases_and_merge_keys_are_resolved(tmp_path: Path) -> None:
    doc = load_text(
        tmp_path,
        """
        asyncapi: 3.0.0
        t: {v: 1}
        x: &x {b: {$ref: '#/t'}}
        r: &r {$ref: '#/t'}
        plain: {s: {u: *r}, w: [1, [*r]]}
        m: {<<: *x, n: {k: 1}}
        """,
    )
    root = doc.root
    assert root["x"]["b"] is root["t"]
    assert root["plain"]["s"]["u"] is root["t"]
    assert root["plain"]["w"][1][0] is root["t"]
    assert root["m"]["b"] is root["t"]  # merged from x: the $ref mapping itself
    assert doc.raw["m"]["b"] == {"$ref": "#/t"}


def test_tags_and_anchors_on_keys(tmp_path: Path) -> None:
    doc = load_text(tmp_path, "&k name: 1\nother: *k\n!!str 200: x\n? &n 404\n: y\nagain: *n\n")
    assert doc.root == {"name": 1, "other": "name", "200": "x", "404": "y", "again": 404}
    (error,) = fails(tmp_path, "!!python/object:os.system key: v\n", "bad.yaml")
    assert "unsupported YAML tag" in error.message


def test_avsc_union_file_by_extension(tmp_path: Path) -> None:
    union = [{"type": "fixed", "name": "Id", "size": 16}, {"type": "record", "name": "R", "fields": []}]
    write(tmp_path / "types.avsc", json.dumps(union))
    doc = load_text(
        tmp_path, "a: {$ref: 'types.avsc#/R'}\nb: {$ref: 'types.avsc#/Id'}\nc: {$ref: 'types.avsc#/1'}\n"
    )
    assert doc.root["a"] is doc.root["c"]
    assert doc.root["b"]["size"] == 16


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json", ".avsc", ".txt"])
def test_target_suffixes(tmp_path: Path, suffix: str) -> None:
    write(tmp_path / f"t{suffix}", '{"type": "string"}\n')
    doc = load_text(tmp_path, f"x: {{$ref: 't{suffix}'}}\n")
    assert doc.root["x"] == {"type": "string"}


def test_cli_map_url_flag_feeds_the_loader() -> None:
    from asyncgen.cli import _parse_map_url, make_load_options

    spec = (
        require_shared()
        / "corpus"
        / "asyncapi"
        / "2.x"
        / "asyncapi__website__adeo-casestudy"
        / "asyncapi.yaml"
    )
    flag = f"https://asyncapi.com/resources/casestudies/adeo/={spec.parent}"
    options = make_load_options(
        {
            "allow_remote": False,
            "map_url": _parse_map_url(None, None, [flag]),
            "allow_outside": (),
            "max_size_mb": 50.0,
        }
    )
    doc = load(spec, options)
    assert any(f.name == "CostingResponseKey.avsc" for f in doc.files)


def test_merged_nodes_targets_are_resolved_too(tmp_path: Path) -> None:
    write(tmp_path / "defs.yaml", "Base: {type: array, items: {$ref: '#/Id'}}\nId: {type: string}\n")
    doc = load_text(tmp_path, "use: {$ref: 'defs.yaml#/Base', title: Used}\n")
    used = doc.root["use"]
    assert used["items"] == {"type": "string"}
    assert used.ref_target is not None
    assert used.ref_target["items"] is used["items"]
    assert used.ref == "defs.yaml#/Base"


def test_json_surrogate_pair_escapes(tmp_path: Path) -> None:
    doc = load_text(
        tmp_path, '{"asyncapi": "3.0.0", "emoji": "\\ud83d\\ude00", "e": 1E2, "z": -0}', "spec.json"
    )
    assert doc.root["emoji"] == "\U0001f600"
    assert doc.root["e"] == 100.0
    assert doc.root["z"] == 0


def test_mapped_url_with_query_and_double_slash(tmp_path: Path) -> None:
    write(tmp_path / "copies" / "a.yaml", "v: 1\n")
    maps = (("https://x.example/v1/", tmp_path / "copies"),)
    doc = load_text(tmp_path / "spec", "x: {$ref: 'https://x.example/v1/a.yaml?raw=1#/v'}\n", map_urls=maps)
    assert doc.root["x"] == 1
    (error,) = fails(
        tmp_path / "spec", "x: {$ref: 'https://x.example/v1//etc/passwd'}\n", "s2.yaml", map_urls=maps
    )
    assert "outside the mapped folder" in error.message


def test_yaml_keeps_nel_and_line_separators_as_characters(tmp_path: Path) -> None:
    """YAML 1.2: U+0085/U+2028/U+2029 are not line breaks (libyaml, a 1.1 parser, thinks they are)."""
    doc = load_text(
        tmp_path,
        "asyncapi: 3.0.0\ninfo:\n  title: a\u2028b\n  description: 'c\u2029d'\n"
        '  x\x85y: "e\x85f"\nnext: 1\n',
    )
    assert doc.root["info"] == {"title": "a\u2028b", "description": "c\u2029d", "x\x85y": "e\x85f"}
    assert doc.root.key_loc("next").line == 6
