"""Oracle: asyncgen's accept/reject verdict equals the official AsyncAPI JSON Schema's.

For every AsyncAPI document of ``../shared/corpus`` and for several hundred
deterministic mutations of them (a required field dropped, a field of the wrong
type, an unknown action, a misspelt key, a malformed schema keyword, a bad
runtime expression; plus harmless ones that must stay valid), asyncgen's verdict
must equal the verdict of the official schema in ``../shared/asyncapi-schemas``,
except where asyncgen's documented semantic checks reject more (then our
findings must include a semantic error), or a case listed in ``KNOWN`` below.

The oracle sees the document *after* refs are resolved, inlined into plain JSON
(a cycle's back-edge becomes ``{}``): as written, the official 2.0-2.4 and 3.0
schemas wrongly reject valid documents where a bare ``{$ref}`` matches both
branches of a ``oneOf``. Where 3.x *requires* a Reference Object
(``operation.channel``, operation/reply ``messages``, reply ``channel``, channel
``servers``) the inliner writes ``{"$ref": <pointer into the inlined document>}``
instead, and asyncgen validates ``load_data(inlined)``, so both judge the same
data. The official schemas' ``$ref``s are all local (``#/definitions/...``, the
bindings bundled inside each file), so a plain ``Draft7Validator`` resolves them.

Run ``pytest tests/test_oracle.py -s`` to see the agreement numbers.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from asyncgen.document import Document, MapNode, SeqNode
from asyncgen.errors import SpecError, SpecErrors
from asyncgen.load import load, load_data
from asyncgen.validate import Report, check
from tests.conftest import corpus_load_options, require_shared

SEED = 20261129
#: mutations per document (the pool is shuffled with SEED); ASYNCGEN_ORACLE_ALL=1 runs all (~18,700, ~15 min)
MUTATIONS_PER_DOC = 100_000 if os.environ.get("ASYNCGEN_ORACLE_ALL") == "1" else 12

#: Documented disagreements: (corpus file suffix, reason). Each must still occur, so the list stays honest.
KNOWN: dict[str, str] = {
    "asyncapi__spec__adeo-kafka-request-reply-asyncapi.yml": (
        "`bindings.kafka.key` is an Avro record (a remote .avsc, served from the local copy); the official "
        "3.0.0 schema only allows an AsyncAPI Schema Object there and rejects `type: record` - asyncgen "
        "accepts a non-JSON-Schema binding key, as the spec's own example uses one"
    ),
}
#: documents this large get fewer mutations (each one re-validates the whole document twice)
BIG_DOCUMENT = 200_000


# -- the official verdict -----------------------------------------------------------------------------


@cache
def official_validator(version: str) -> jsonschema.protocols.Validator:
    schema_file = require_shared() / "asyncapi-schemas" / f"{version}.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    return cls(schema)  # type: ignore[no-any-return]


def official_accepts(data: Any) -> bool:
    version = data.get("asyncapi") if isinstance(data, dict) else None
    if (
        not isinstance(version, str)
        or not (require_shared() / "asyncapi-schemas" / f"{version}.json").exists()
    ):
        return False
    return bool(official_validator(version).is_valid(data))


# -- inlining the resolved graph ----------------------------------------------------------------------


def _is_operation(parts: tuple[str, ...]) -> bool:
    return (len(parts) == 2 and parts[0] == "operations") or (
        len(parts) == 3 and parts[:2] == ("components", "operations")
    )


def _is_reply(parts: tuple[str, ...]) -> bool:
    return (len(parts) >= 1 and parts[-1] == "reply" and _is_operation(parts[:-1])) or (
        len(parts) == 3 and parts[:2] == ("components", "replies")
    )


def _is_channel(parts: tuple[str, ...]) -> bool:
    return (len(parts) == 2 and parts[0] == "channels") or (
        len(parts) == 3 and parts[:2] == ("components", "channels")
    )


def ref_position(parts: tuple[str, ...]) -> str | None:
    """Which 3.x Reference-only position ``parts`` is: "channel" | "message" | "server" | None."""
    if len(parts) >= 2 and parts[-1] == "channel" and (_is_operation(parts[:-1]) or _is_reply(parts[:-1])):
        return "channel"
    if len(parts) >= 3 and parts[-2] == "messages" and (_is_operation(parts[:-2]) or _is_reply(parts[:-2])):
        return "message"
    if len(parts) >= 3 and parts[-2] == "servers" and _is_channel(parts[:-2]):
        return "server"
    return None


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def inline(doc: Document) -> Any:
    """The resolved graph as plain JSON (see the module docstring)."""
    root = doc.root
    v3 = str(root.get("asyncapi", "")).startswith("3.")

    def pointer_in(section: Any, prefix: str, node: Any) -> str | None:
        if isinstance(section, dict):
            for key, value in section.items():
                if value is node:
                    return f"{prefix}/{_escape(key)}"
        return None

    def ref_to(kind: str, node: Any, owner: Any, owner_ptr: str | None) -> str | None:
        if kind == "channel":
            return pointer_in(root.get("channels"), "#/channels", node) or pointer_in(
                root.get("components", {}).get("channels")
                if isinstance(root.get("components"), dict)
                else None,
                "#/components/channels",
                node,
            )
        if kind == "server":
            return pointer_in(root.get("servers"), "#/servers", node)
        channel = owner.get("channel") if isinstance(owner, dict) else None
        if isinstance(channel, dict) and owner_ptr is not None:
            base = ref_to("channel", channel, None, None)
            if base is not None:
                return pointer_in(channel.get("messages"), f"{base}/messages", node)
        return None

    def convert(node: Any, parts: tuple[str, ...], path_ids: frozenset[int], owner: Any) -> Any:
        if isinstance(node, (MapNode, SeqNode, dict, list)):
            if id(node) in path_ids:
                return {}
            if v3:
                kind = ref_position(parts)
                if kind is not None:
                    ref = ref_to(kind, node, owner, "x")
                    if ref is not None:
                        return {"$ref": ref}
            inner = path_ids | {id(node)}
            if isinstance(node, dict):
                holder = node if parts and (_is_operation(parts) or _is_reply(parts)) else owner
                return {k: convert(v, (*parts, k), inner, holder) for k, v in node.items()}
            return [convert(v, (*parts, str(i)), inner, owner) for i, v in enumerate(node)]
        return node

    return convert(root, (), frozenset(), None)


# -- our verdict ----------------------------------------------------------------------------------------


@dataclass
class Verdict:
    accepts: bool
    semantic_only: bool = False  # rejected, and only by semantic checks
    problems: list[SpecError] = field(default_factory=list)


def ours(data: Any) -> Verdict:
    # a $ref that does not resolve is refused by load: a reference check the schema cannot make
    try:
        doc = load_data(data, "inlined.json")
    except SpecErrors as errs:
        return Verdict(False, all("$ref" in e.message for e in errs.errors), errs.errors)
    except SpecError as err:
        return Verdict(False, "$ref" in err.message, [err])
    report: Report = check(doc)
    structural = [e for e in report.structural if e.severity == "error"]
    semantic = [e for e in report.semantic if e.severity == "error"]
    return Verdict(not structural and not semantic, bool(semantic) and not structural, structural + semantic)


# -- mutations --------------------------------------------------------------------------------------------

Site = tuple[str, ...]


def walk(data: Any, parts: Site = ()) -> Iterator[tuple[Site, Any]]:
    yield parts, data
    if isinstance(data, dict):
        for key, value in data.items():
            if not (isinstance(value, dict) and set(value) == {"$ref"}):
                yield from walk(value, (*parts, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from walk(value, (*parts, str(index)))


def get(data: Any, parts: Site) -> Any:
    for part in parts:
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def _message_sites(v3: bool, parts: Site) -> bool:
    if v3:
        return (len(parts) == 4 and parts[0] == "channels" and parts[2] == "messages") or (
            len(parts) == 3 and parts[:2] == ("components", "messages")
        )
    return (len(parts) == 4 and parts[0] == "channels" and parts[3] == "message") or (
        len(parts) == 3 and parts[:2] == ("components", "messages")
    )


def sites(data: Any) -> dict[str, list[Site]]:
    """Places worth mutating, by object kind."""
    v3 = str(data.get("asyncapi", "")).startswith("3.")
    found: dict[str, list[Site]] = {
        k: []
        for k in ("server", "channel", "operation", "message", "schema", "corr", "scheme", "var", "param")
    }
    for parts, node in walk(data):
        if not isinstance(node, dict):
            continue
        if len(parts) == 2 and parts[0] == "servers":
            found["server"].append(parts)
        elif _is_channel(parts) and parts[0] == "channels":
            found["channel"].append(parts)
        elif (v3 and _is_operation(parts) and parts[0] == "operations") or (
            not v3 and len(parts) == 3 and parts[0] == "channels" and parts[2] in ("publish", "subscribe")
        ):
            found["operation"].append(parts)
        elif _message_sites(v3, parts) and "oneOf" not in node and "schemaFormat" not in node:
            found["message"].append(parts)
            payload = node.get("payload")
            if isinstance(payload, dict) and "schema" not in payload:
                for sub, schema in walk(payload, (*parts, "payload")):
                    if isinstance(schema, dict) and len(sub) >= 2 and sub[-2] == "properties":
                        found["schema"].append(sub)
        elif parts and parts[-1] == "correlationId":
            found["corr"].append(parts)
        elif len(parts) == 3 and parts[:2] == ("components", "securitySchemes"):
            found["scheme"].append(parts)
        elif len(parts) == 4 and parts[0] == "servers" and parts[2] == "variables":
            found["var"].append(parts)
        elif len(parts) == 4 and parts[0] == "channels" and parts[2] == "parameters":
            found["param"].append(parts)
    return found


Mutation = tuple[str, Callable[[Any], bool]]
VERSIONS = ("2.0.0", "2.1.0", "2.2.0", "2.3.0", "2.4.0", "2.5.0", "2.6.0", "3.0.0", "3.1.0")


def _message_of_another_channel(data: Any, channel_ref: Any) -> dict[str, str] | None:
    """A ``$ref`` to a message of some other channel than ``channel_ref`` (3.x), if there is one."""
    mine = channel_ref.get("$ref") if isinstance(channel_ref, dict) else None
    for key, channel in sorted((data.get("channels") or {}).items()):
        ref = f"#/channels/{_escape(key)}"
        if ref != mine and isinstance(channel, dict) and isinstance(channel.get("messages"), dict):
            for message_key in channel["messages"]:
                return {"$ref": f"{ref}/messages/{_escape(message_key)}"}
    return None


def _set(parts: Site, key: str, value: Any) -> Callable[[Any], bool]:
    def apply(data: Any) -> bool:
        target = get(data, parts)
        if not isinstance(target, dict) or target.get(key, object()) == value:
            return False
        target[key] = value
        return True

    return apply


def _drop(parts: Site, key: str) -> Callable[[Any], bool]:
    def apply(data: Any) -> bool:
        target = get(data, parts)
        return isinstance(target, dict) and target.pop(key, None) is not None

    return apply


def mutations(data: Any, rng: random.Random) -> list[Mutation]:
    v3 = str(data.get("asyncapi", "")).startswith("3.")
    where = sites(data)
    out: list[Mutation] = [
        ("root: drop info", _drop((), "info")),
        ("info: drop title", _drop(("info",), "title")),
        ("info: drop version", _drop(("info",), "version")),
        ("info: title 42", _set(("info",), "title", 42)),
        ("info: version 1.5 (number)", _set(("info",), "version", 1.5)),
        ("info: unknown key titel", _set(("info",), "titel", "x")),
        ("info: x-extension", _set(("info",), "x-team", {"a": 1})),
        ("info: bad extension name", _set(("info",), "x-", 1)),
        ("info: contact wrong type", _set(("info",), "contact", "me")),
        ("info: license without name", _set(("info",), "license", {"url": "https://x"})),
        ("root: unknown key", _set((), "servres", {})),
        ("root: servers array", _set((), "servers", [])),
        ("root: drop description (harmless)", _drop(("info",), "description")),
        ("root: bad version", _set((), "asyncapi", "9.9.9")),
    ]
    version = data["asyncapi"]
    for other in [v for v in VERSIONS if v[0] == version[0] and v != version]:
        out.append((f"root: asyncapi {other} (was {version})", _set((), "asyncapi", other)))
    tags_at = ("info",) if v3 else ()
    out += [
        ("tags: duplicate", _set(tags_at, "tags", [{"name": "a"}, {"name": "a"}])),
        ("tags: a tag with an unknown key", _set(tags_at, "tags", [{"name": "a", "desc": "x"}])),
        ("externalDocs: no url", _set(tags_at, "externalDocs", {"description": "d"})),
        ("components: schemas array", _set((), "components", {"schemas": []})),
        ("components: messages string", _set((), "components", {"messages": "x"})),
        ("components: unknown section", _set((), "components", {"schemata": {}})),
    ]
    if not v3:
        out.append(("root: drop channels", _drop((), "channels")))
        out.append(("root: 3.x operations in 2.x", _set((), "operations", {})))
    else:
        out.append(("root: 2.x tags at the root of 3.x", _set((), "tags", [])))
    for parts in where["scheme"]:
        out += [
            (f"{'/'.join(parts)}: type apikey", _set(parts, "type", "apikey")),
            (f"{'/'.join(parts)}: drop type", _drop(parts, "type")),
            (f"{'/'.join(parts)}: unknown key", _set(parts, "nmae", "x")),
        ]
    for parts in where["var"]:
        out += [
            (f"{'/'.join(parts)}: enum string", _set(parts, "enum", "a")),
            (f"{'/'.join(parts)}: default number", _set(parts, "default", 1)),
        ]
    for parts in where["param"]:
        out += [
            (f"{'/'.join(parts)}: location bad", _set(parts, "location", "$message.body#/x")),
            (f"{'/'.join(parts)}: description number", _set(parts, "description", 1)),
        ]
        if v3:
            out.append((f"{'/'.join(parts)}: enum string", _set(parts, "enum", "a")))
            out.append((f"{'/'.join(parts)}: 2.x schema in 3.x", _set(parts, "schema", {"type": "string"})))
        else:
            out.append((f"{'/'.join(parts)}: schema type strng", _set(parts, "schema", {"type": "strng"})))
    for parts in where["server"]:
        out += [
            (f"{'/'.join(parts)}: drop protocol", _drop(parts, "protocol")),
            (f"{'/'.join(parts)}: protocol true", _set(parts, "protocol", True)),
            (f"{'/'.join(parts)}: unknown key", _set(parts, "protocl", "mqtt")),
            (f"{'/'.join(parts)}: drop {'host' if v3 else 'url'}", _drop(parts, "host" if v3 else "url")),
            (f"{'/'.join(parts)}: description number", _set(parts, "description", 3)),
        ]
        if v3:
            out.append((f"{'/'.join(parts)}: 2.x url in 3.x", _set(parts, "url", "mqtt://x")))
    for parts in where["channel"]:
        if v3:
            out += [
                (f"{'/'.join(parts)}: address number", _set(parts, "address", 5)),
                (f"{'/'.join(parts)}: messages array", _set(parts, "messages", [])),
            ]
        else:
            out.append((f"{'/'.join(parts)}: servers [1]", _set(parts, "servers", [1])))
        out += [
            (f"{'/'.join(parts)}: description 5", _set(parts, "description", 5)),
            (f"{'/'.join(parts)}: unknown key", _set(parts, "descripton", "x")),
            (f"{'/'.join(parts)}: parameters array", _set(parts, "parameters", [])),
        ]
        if v3:
            out.append((f"{'/'.join(parts)}: 2.x publish in 3.x", _set(parts, "publish", {})))
            if not get(data, parts).get("parameters"):
                out.append((f"{'/'.join(parts)}: address null (harmless)", _set(parts, "address", None)))
    for parts in where["operation"]:
        out += [
            (f"{'/'.join(parts)}: summary object", _set(parts, "summary", {"a": 1})),
            (f"{'/'.join(parts)}: unknown key", _set(parts, "sumary", "x")),
            (f"{'/'.join(parts)}: tags not a list", _set(parts, "tags", "t")),
            (f"{'/'.join(parts)}: tag without name", _set(parts, "tags", [{"description": "d"}])),
        ]
        if v3:
            out += [
                (
                    f"{'/'.join(parts)}: channel ref to nowhere",
                    _set(parts, "channel", {"$ref": "#/channels/nope"}),
                ),
                (f"{'/'.join(parts)}: messages not a list", _set(parts, "messages", {})),
                (f"{'/'.join(parts)}: a trait with action", _set(parts, "traits", [{"action": "send"}])),
                (
                    f"{'/'.join(parts)}: reply address bad",
                    _set(parts, "reply", {"address": {"location": "x"}}),
                ),
                (f"{'/'.join(parts)}: reply unknown key", _set(parts, "reply", {"adress": {}})),
                (f"{'/'.join(parts)}: action recieve", _set(parts, "action", "recieve")),
                (f"{'/'.join(parts)}: drop action", _drop(parts, "action")),
                (f"{'/'.join(parts)}: drop channel", _drop(parts, "channel")),
            ]
            other = _message_of_another_channel(data, get(data, parts).get("channel"))
            if other is not None:
                out.append(
                    (f"{'/'.join(parts)}: message of another channel", _set(parts, "messages", [other]))
                )
        else:
            out += [
                (f"{'/'.join(parts)}: operationId number", _set(parts, "operationId", 7)),
                (
                    f"{'/'.join(parts)}: message ref to nowhere",
                    _set(parts, "message", {"$ref": "#/components/messages/nope"}),
                ),
                (f"{'/'.join(parts)}: a trait with message", _set(parts, "traits", [{"message": {}}])),
                (
                    f"{'/'.join(parts)}: oneOf of one bad message",
                    _set(parts, "message", {"oneOf": [{"name": 1}]}),
                ),
                (f"{'/'.join(parts)}: oneOf plus name", _set(parts, "message", {"oneOf": [], "name": "x"})),
            ]
    for parts in where["message"]:
        out += [
            (f"{'/'.join(parts)}: name number", _set(parts, "name", 7)),
            (f"{'/'.join(parts)}: contentType array", _set(parts, "contentType", ["a"])),
            (f"{'/'.join(parts)}: unknown key", _set(parts, "paylod", {})),
            (f"{'/'.join(parts)}: deprecated 'yes'", _set(parts, "deprecated", "yes")),
            (f"{'/'.join(parts)}: examples object", _set(parts, "examples", {})),
            (f"{'/'.join(parts)}: example without payload/headers", _set(parts, "examples", [{"name": "n"}])),
            (
                f"{'/'.join(parts)}: correlationId bad location",
                _set(parts, "correlationId", {"location": "header.id"}),
            ),
            (
                f"{'/'.join(parts)}: payload minimum string",
                _set(parts, "payload", {"type": "number", "minimum": "0"}),
            ),
        ]
        if v3:
            out.append(
                (
                    f"{'/'.join(parts)}: 2.x schemaFormat in 3.x",
                    _set(parts, "schemaFormat", "application/json"),
                )
            )
    for parts in where["schema"]:
        out += [
            (f"{'/'.join(parts)}: type strng", _set(parts, "type", "strng")),
            (f"{'/'.join(parts)}: required string", _set(parts, "required", "id")),
            (f"{'/'.join(parts)}: additionalProperties array", _set(parts, "additionalProperties", [])),
            (f"{'/'.join(parts)}: maxLength -1", _set(parts, "maxLength", -1)),
            (f"{'/'.join(parts)}: enum empty", _set(parts, "enum", [])),
            (f"{'/'.join(parts)}: properties array", _set(parts, "properties", [])),
            (f"{'/'.join(parts)}: unknown keyword (harmless)", _set(parts, "x-whatever", 1)),
            (f"{'/'.join(parts)}: format (harmless)", _set(parts, "format", "uuid")),
        ]
    for parts in where["corr"]:
        out.append((f"{'/'.join(parts)}: location without $", _set(parts, "location", "message.header#/id")))
    rng.shuffle(out)
    return out


# -- the corpus ------------------------------------------------------------------------------------------


def corpus_asyncapi() -> list[Path]:
    shared = require_shared()
    corpus = shared / "corpus"
    with (corpus / "MANIFEST.tsv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [corpus / r["file"] for r in rows if r["spec_version"].startswith("asyncapi")]


@dataclass
class Tally:
    documents: int = 0
    mutations: int = 0
    agreements: int = 0
    semantic_extra: int = 0
    semantic_cases: list[tuple[str, str]] = field(default_factory=list)
    known_cases: set[str] = field(default_factory=set)
    known: int = 0
    load_rejects: int = 0
    disagreements: list[str] = field(default_factory=list)


def judge(tally: Tally, label: str, data: Any) -> None:
    official = official_accepts(data)
    verdict = ours(data)
    if official == verdict.accepts:
        tally.agreements += 1
    elif official and verdict.semantic_only:
        tally.semantic_extra += 1
        tally.semantic_cases.append((label, verdict.problems[0].message))
    elif label.split(" :: ", maxsplit=1)[0] in KNOWN:
        tally.known += 1
        tally.known_cases.add(label.split(" :: ", maxsplit=1)[0])
    else:
        first = "; ".join(e.format() for e in verdict.problems[:3])
        tally.disagreements.append(
            f"{label}: official={'accept' if official else 'reject'} ours={first or 'accept'}"
        )


def test_oracle_agreement() -> None:
    tally = Tally()
    rng = random.Random(SEED)
    for path in corpus_asyncapi():
        try:
            doc = load(path, corpus_load_options(path))
        except (SpecError, SpecErrors):
            tally.load_rejects += 1
            continue
        data = inline(doc)
        tally.documents += 1
        judge(tally, path.name, data)
        real = [e for e in check(doc).problems if e.severity == "error"]
        assert not real or not ours(data).accepts, f"{path.name}: inlining changed our verdict"
        if not official_accepts(data):
            continue  # mutate documents the official schema accepts
        budget = MUTATIONS_PER_DOC if len(json.dumps(data)) < BIG_DOCUMENT else 3
        for name, apply in mutations(data, rng)[:budget]:
            mutated = copy.deepcopy(data)
            if not apply(mutated):
                continue
            tally.mutations += 1
            judge(tally, f"{path.name} :: {name}", mutated)
    print(
        f"\noracle: {tally.documents} documents + {tally.mutations} mutations; "
        f"{tally.agreements} agree, {tally.semantic_extra} rejected only by asyncgen's semantic checks, "
        f"{tally.known} documented exceptions, {len(tally.disagreements)} disagreements "
        f"({tally.load_rejects} corpus files rejected at load time)"
    )
    kinds: dict[str, int] = {}
    for _, message in tally.semantic_cases:
        kind = re.sub(r"'[^']*'", "'...'", message)
        kinds[kind] = kinds.get(kind, 0) + 1
    for kind, count in sorted(kinds.items(), key=lambda kv: -kv[1]):
        print(f"  semantic only, {count}x: {kind}")
    assert tally.documents >= 40
    assert tally.known_cases == set(KNOWN), "a documented exception no longer occurs; update KNOWN"
    assert tally.mutations >= 300
    assert not tally.disagreements, "\n".join(tally.disagreements)


@pytest.mark.parametrize("parts, expected", [
    (("operations", "op", "channel"), "channel"),
    (("operations", "op", "messages", "0"), "message"),
    (("operations", "op", "reply", "channel"), "channel"),
    (("components", "replies", "r", "messages", "1"), "message"),
    (("channels", "c", "servers", "0"), "server"),
    (("channels", "c", "messages", "m"), None),
    (("components", "messages", "m", "payload"), None),
])  # fmt: skip
def test_ref_positions(parts: tuple[str, ...], expected: str | None) -> None:
    assert ref_position(parts) == expected
