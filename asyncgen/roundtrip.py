"""Semantic comparison of two AsyncAPI documents: the round-trip proof's comparator.

:func:`compare` takes the spec (``expected``) and another description of the same
application (``actual``: typically what FastStream says about a generated app) and
returns every difference, precisely located::

    channel 'lights/{}/measured' (receive): payload property 'lumens' type integer != number

Both documents may be AsyncAPI 2.x or 3.x, given as plain JSON-like data with local
``$ref``s, or as asyncgen's resolved graph (``Document.root``, where a ref is the very
object it points to and recursion is a cycle).

What is compared, from the application's point of view:

* channel addresses, with ``{parameter}`` placeholders normalised to ``{}`` (FastStream
  names them after the Python identifiers: ``{streetlightId}`` becomes ``{streetlight_id}``);
* the operations on each address and their directions (``send``/``receive``; AsyncAPI 2.x
  ``publish`` is what the application receives, ``subscribe`` what it sends);
* the message payload schemas of each (address, direction), as normalised JSON Schemas
  (:func:`normalise_schema`): refs resolved, annotations dropped, only types, properties,
  required, enums/consts, formats, items, additionalProperties and combinators kept.

Not compared (each a deliberate choice): operation ids and titles (FastStream names channels
``address:HandlerName`` and operations after subscriber titles), servers, bindings, headers,
correlation ids, replies, ``info``. Payloads with a non-JSON ``schemaFormat`` (Avro,
Protobuf) are compared only when both sides give a JSON Schema for them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

PLACEHOLDER_RE = re.compile(r"{[^{}]*}")
ANCHORED_PATTERN_RE = re.compile(r"\^(.*)\$", re.DOTALL)
NAMED_GROUP_RE = re.compile(r"\(\?P<\w+>[^()]*\)")

#: what :func:`normalise_schema` keeps (plus anyOf/oneOf/allOf/not). Everything else goes:
#: titles, descriptions, examples (prose; pydantic titles every model and field), ``default``
#: (pydantic adds ``default: null`` to optional fields), and value constraints (minimum,
#: pattern, lengths: the models enforce them; this comparison is about shape).
KEPT = ("type", "format", "enum", "const", "properties", "required", "items", "additionalProperties")

#: numeric ``format``s that only state a storage width (dropped: see :func:`normalise_schema`)
NUMERIC_FORMATS = ("int32", "int64", "float", "double")

JSON_SCHEMA_FORMATS = (
    "",
    "application/schema+json",
    "application/schema+yaml",
    "application/vnd.aai.asyncapi",
)


@dataclass(frozen=True)
class Difference:
    """One semantic difference; ``str()`` gives the one-line report."""

    kind: str  # channel-missing | channel-extra | operation-missing | operation-extra | payload
    channel: str  # normalised address
    message: str

    def __str__(self) -> str:
        return f"channel {self.channel!r}: {self.message}"


@dataclass(frozen=True)
class OperationView:
    """Everything compared about one (address, action): the normalised payload schemas."""

    address: str
    action: str
    payloads: tuple[Any, ...]  # normalised schemas; None = not comparable (non-JSON format)


# -- documents -> views -------------------------------------------------------------------


def normalise_address(address: str) -> str:
    """``lights/{streetlightId}/measured`` -> ``lights/{}/measured``.

    An anchored regex with named groups (``^lights\\.(?P<id>[^.]+)\\.measured$``) is what
    FastStream documents for a Kafka subscriber with ``pattern=`` (how a parameterised topic
    is subscribed): each group becomes ``{}`` and the escapes are undone.
    """
    pattern = ANCHORED_PATTERN_RE.fullmatch(address)
    if pattern is not None:
        body = NAMED_GROUP_RE.sub("\x00", pattern.group(1))
        address = re.sub(r"\\(.)", r"\1", body).replace("\x00", "{}")
    return PLACEHOLDER_RE.sub("{}", address)


def operations(doc: Mapping[str, Any]) -> dict[tuple[str, str], OperationView]:
    """(normalised address, action) -> its view, for an AsyncAPI 2.x or 3.x document."""
    version = str(doc.get("asyncapi", ""))
    resolver = _Resolver(doc)
    found: dict[tuple[str, str], list[Any]] = {}
    if version.startswith("2."):
        for address, raw_item in _mapping(doc.get("channels")).items():
            item = resolver.deref(raw_item)
            for verb, action in (("publish", "receive"), ("subscribe", "send")):
                op = _mapping(resolver.deref(_mapping(item).get(verb)))
                if not op and verb not in _mapping(item):
                    continue
                messages = _messages_v2(resolver, op.get("message"))
                found.setdefault((normalise_address(str(address)), action), []).extend(
                    _payload(resolver, m) for m in messages
                )
    else:
        for raw_op in _mapping(doc.get("operations")).values():
            op = _mapping(resolver.deref(raw_op))
            channel = _mapping(resolver.deref(op.get("channel")))
            target: Any = channel.get("address")
            if target is None:
                continue  # a dynamic address (reply channels): nothing to compare
            messages = [resolver.deref(m) for m in _sequence(op.get("messages"))]
            if not messages:
                messages = [resolver.deref(m) for m in _mapping(channel.get("messages")).values()]
            key = (normalise_address(str(target)), str(op.get("action")))
            found.setdefault(key, []).extend(_payload(resolver, _mapping(m)) for m in messages)
    return {
        key: OperationView(key[0], key[1], tuple(_unique(_split_unions(payloads))))
        for key, payloads in sorted(found.items())
    }


def _split_unions(payloads: list[Any]) -> list[Any]:
    """A payload that is only a union counts as one payload per branch.

    A message whose payload is ``oneOf: [A, B]`` accepts what two messages ``A`` and ``B``
    accept; FastStream documents a union-typed argument (one message per subscriber or
    publisher) that way, a spec often as one message per branch.
    """
    out: list[Any] = []
    for p in payloads:
        if isinstance(p, dict) and set(p) == {"anyOf"}:
            out.extend(p["anyOf"])
        else:
            out.append(p)
    return out


def _messages_v2(resolver: _Resolver, message: Any) -> list[Mapping[str, Any]]:
    message = _mapping(resolver.deref(message))
    if not message:
        return []
    one_of = message.get("oneOf")
    if isinstance(one_of, list):
        return [_mapping(resolver.deref(m)) for m in one_of]
    return [message]


def _payload(resolver: _Resolver, message: Mapping[str, Any]) -> Any:
    fmt = str(message.get("schemaFormat") or "").split(";")[0].strip()
    payload = message.get("payload")
    if isinstance(payload, Mapping) and "schemaFormat" in payload and "schema" in payload:  # 3.x multi-format
        fmt = str(payload.get("schemaFormat") or "").split(";")[0].strip()
        payload = payload.get("schema")
    if not (fmt in JSON_SCHEMA_FORMATS or fmt.startswith("application/vnd.aai.asyncapi")):
        return None
    if payload is None:
        return {}  # no schema: any value
    return normalise_schema(payload, resolver)


def _unique(values: Iterable[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for v in values:
        seen.setdefault(canonical(v), v)
    return list(seen.values())


# -- schemas ----------------------------------------------------------------------------


class _Resolver:
    """Local ``$ref`` (``#/...``) resolution against one document's root."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root

    def deref(self, node: Any) -> Any:
        seen: set[str] = set()
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen or not ref.startswith("#"):
                return node
            seen.add(ref)
            node = self.pointer(ref)
        return node

    def pointer(self, ref: str) -> Any:
        node: Any = self.root
        for raw in ref[1:].lstrip("/").split("/") if ref != "#" else []:
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping):
                node = node.get(part)
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return None
        return node


RECURSIVE = {"$recursive": True}


def normalise_schema(schema: Any, resolver: _Resolver | None = None) -> Any:
    """A JSON Schema reduced to what decides which values it accepts, in canonical form.

    Normalisations, each for a representation both sides may legitimately differ in:

    * refs are resolved; a schema that contains itself becomes ``{"$recursive": true}`` at the
      point of recursion (pydantic spells recursion with ``$defs`` refs, asyncgen's loader as
      a cycle);
    * annotations and validation keywords beyond types, properties,
      required, enum/const, format, items and additionalProperties are dropped (minimum,
      pattern, lengths: the models enforce them, the comparison is about shape);
    * ``oneOf`` becomes ``anyOf``: a pydantic union is documented as ``anyOf``, and the
      generated consumer dispatches to the first matching model (anyOf semantics);
    * ``allOf`` branches that accept everything (``{}``, e.g. a description beside a ``$ref``)
      are dropped, and an ``allOf`` of one schema is that schema;
    * ``allOf`` of objects is merged into one object (datamodel-code-generator renders
      ``allOf`` as inheritance; pydantic documents the flattened model);
    * ``nullable: true`` (OpenAPI 3.0 style) and ``type: [x, "null"]`` become
      ``anyOf: [x, {type: null}]``; a ``null`` branch of an *optional* property is dropped
      (dcg makes optional fields ``X | None = None``: an omitted field is the spec's
      meaning, accepting an explicit null is pydantic's representation of it);
    * an empty ``properties`` equals its absence (FastStream adds ``properties: {}`` to every
      payload schema, strings and arrays included); the storage-width formats of numbers
      (``int32``, ``int64``, ``float``, ``double``) are dropped like the other value ranges
      (pydantic's ``int``/``float`` document none);
    * ``additionalProperties: true`` equals its absence; ``integer`` inside ``type`` lists
      and enums are kept in order; ``required`` is sorted; ``const`` stays ``const``;
      a single-value ``enum`` stays an enum; an ``anyOf``/``oneOf`` of bare ``const``s is that
      ``enum``.
    """
    return _Normaliser(resolver).run(schema)


class _Normaliser:
    def __init__(self, resolver: _Resolver | None) -> None:
        self.resolver = resolver

    def run(self, schema: Any) -> Any:
        return self._norm(schema, ())

    def _deref(self, node: Any, stack: tuple[int, ...]) -> tuple[Any, tuple[int, ...]] | None:
        """The target of ``node`` and the new stack; None when it recurses."""
        if isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and self.resolver is not None:
            ref = node["$ref"]
            target = self.resolver.deref(node)
            if id(target) in stack:
                return None
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            if siblings and isinstance(target, Mapping):
                return {**target, **siblings}, (*stack, id(target))
            del ref
            return target, (*stack, id(target))
        if isinstance(node, Mapping):
            if id(node) in stack:
                return None
            return node, (*stack, id(node))
        return node, stack

    def _norm(self, node: Any, stack: tuple[int, ...]) -> Any:
        resolved = self._deref(node, stack)
        if resolved is None:
            return dict(RECURSIVE)
        node, stack = resolved
        if node is True or node is None:
            return {}
        if node is False:
            return {"not": {}}
        if not isinstance(node, Mapping):
            return node
        out: dict[str, Any] = {}
        for key in KEPT:
            if key not in node:
                continue
            value = node[key]
            if key == "properties":
                out[key] = {str(k): self._norm(v, stack) for k, v in _mapping(value).items()}
            elif key == "items":
                if isinstance(value, list):  # tuple validation (draft 4-7)
                    out["prefixItems"] = [self._norm(v, stack) for v in value]
                else:
                    out[key] = self._norm(value, stack)
            elif key == "additionalProperties":
                if value is True or value == {}:
                    continue
                out[key] = False if value is False else self._norm(value, stack)
            elif key == "required":
                out[key] = sorted(str(v) for v in _sequence(value))
            elif key == "type" and isinstance(value, list):
                out[key] = sorted(str(v) for v in value)
            else:
                out[key] = value
        for key in ("oneOf", "anyOf"):
            if isinstance(node.get(key), list):
                branches = [self._norm(b, stack) for b in node[key]]
                out.setdefault("anyOf", []).extend(branches)
        if isinstance(node.get("not"), Mapping):
            out["not"] = self._norm(node["not"], stack)
        if isinstance(node.get("allOf"), list):
            out = self._merge_all_of(out, [self._norm(b, stack) for b in node["allOf"]])
        if node.get("nullable") is True:
            out = _with_null(out)
        if isinstance(out.get("type"), list):
            types = [t for t in out["type"] if t != "null"]
            if len(types) < len(out["type"]):
                base = {**out, "type": types[0] if len(types) == 1 else types}
                out = {"anyOf": [base, {"type": "null"}]}
            elif len(types) == 1:
                out["type"] = types[0]
        if out.get("properties") == {}:
            del out["properties"]  # constrains nothing; FastStream adds it to every payload schema
        if out.get("type") in ("integer", "number") and out.get("format") in NUMERIC_FORMATS:
            del out["format"]  # a storage width: Python's int/float carry none, like other value ranges
        if "type" not in out and "properties" in out:
            out["type"] = "object"  # pydantic always says it; specs often leave it implicit
        out = self._drop_optional_nulls(out)
        any_of = out.get("anyOf")
        consts = any_of and all(isinstance(b, dict) and set(b) == {"const"} for b in any_of)
        if consts and "enum" not in out:
            out["enum"] = [b["const"] for b in out.pop("anyOf")]  # anyOf of consts is an enum
        if "anyOf" in out:
            out["anyOf"] = _flatten_any_of(out["anyOf"])
            if len(out["anyOf"]) == 1 and len(out) == 1:
                return out["anyOf"][0]
        return out

    @staticmethod
    def _merge_all_of(out: dict[str, Any], parts: list[Any]) -> dict[str, Any]:
        parts = [p for p in parts if p != {}]  # accepts everything: no constraint in an allOf
        if not parts:
            return out
        if len(parts) == 1 and isinstance(parts[0], dict) and not set(parts[0]) & set(out):
            return {**out, **parts[0]}  # allOf of one schema is that schema
        if all(isinstance(p, dict) and set(p) <= {"type", "properties", "required", "additionalProperties"}
               and p.get("type", "object") == "object" for p in parts):  # fmt: skip
            merged: dict[str, Any] = {k: v for k, v in out.items()}
            merged["type"] = "object"
            props: dict[str, Any] = dict(merged.get("properties", {}))
            required = set(merged.get("required", []))
            for p in parts:
                props.update(p.get("properties", {}))
                required |= set(p.get("required", []))
                if "additionalProperties" in p:
                    merged["additionalProperties"] = p["additionalProperties"]
            if props:
                merged["properties"] = props
            if required:
                merged["required"] = sorted(required)
            return merged
        return {**out, "allOf": sorted(parts, key=canonical)}

    @staticmethod
    def _drop_optional_nulls(out: dict[str, Any]) -> dict[str, Any]:
        props = out.get("properties")
        if not isinstance(props, dict):
            return out
        required = set(out.get("required", []))
        for name, schema in props.items():
            if name in required or not isinstance(schema, dict) or set(schema) != {"anyOf"}:
                continue
            rest = [b for b in schema["anyOf"] if b != {"type": "null"}]
            if len(rest) < len(schema["anyOf"]):
                props[name] = rest[0] if len(rest) == 1 else {"anyOf": rest}
        return out


def _with_null(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _flatten_any_of(branches: list[Any]) -> list[Any]:
    flat: list[Any] = []
    for b in branches:
        if isinstance(b, dict) and set(b) == {"anyOf"}:
            flat.extend(b["anyOf"])
        else:
            flat.append(b)
    return sorted(_unique(flat), key=canonical)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


# -- comparison -------------------------------------------------------------------------


def compare(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> list[Difference]:
    """Every difference of ``actual`` from ``expected`` (see the module docstring)."""
    want, got = operations(expected), operations(actual)
    out: list[Difference] = []
    want_addr = {a for a, _ in want}
    got_addr = {a for a, _ in got}
    for address in sorted(want_addr - got_addr):
        actions = ", ".join(sorted(act for a, act in want if a == address))
        out.append(Difference("channel-missing", address, f"missing (the spec has {actions} there)"))
    for address in sorted(got_addr - want_addr):
        actions = ", ".join(sorted(act for a, act in got if a == address))
        out.append(Difference("channel-extra", address, f"not in the spec ({actions} there)"))
    for key in sorted(want):
        address, action = key
        if address not in got_addr:
            continue
        if key not in got:
            other = ", ".join(sorted(act for a, act in got if a == address))
            out.append(
                Difference(
                    "operation-missing", address, f"no {action} operation (the other side has {other})"
                )
            )
            continue
        out.extend(_compare_payloads(address, action, want[key].payloads, got[key].payloads))
    for key in sorted(set(got) - set(want)):
        address, action = key
        if address in want_addr:
            out.append(Difference("operation-extra", address, f"{action} operation not in the spec"))
    return out


def _compare_payloads(
    address: str, action: str, want: tuple[Any, ...], got: tuple[Any, ...]
) -> list[Difference]:
    where = f"({action})"
    if any(p is None for p in want):  # non-JSON schema formats: compared only by count
        return []
    got_left = [g for g in got if g is not None]
    unmatched_want = []
    for w in want:
        match = next((g for g in got_left if canonical(g) == canonical(w)), None)
        if match is None:
            unmatched_want.append(w)
        else:
            got_left.remove(match)
    if not unmatched_want and not got_left:
        return []
    if len(unmatched_want) == 1 and len(got_left) == 1:
        return [
            Difference("payload", address, f"{where} payload{path} {text}")
            for path, text in schema_differences(unmatched_want[0], got_left[0])
        ]
    if len(want) == 1 and len(got) == 0:
        return [Difference("payload", address, f"{where} no payload schema")]
    return [
        Difference(
            "payload",
            address,
            f"{where} {len(unmatched_want)} of {len(want)} message payload(s) without an equal one on the "
            f"other side, {len(got_left)} extra: spec {_short(unmatched_want)} != {_short(got_left)}",
        )
    ]


def _short(values: list[Any], limit: int = 300) -> str:
    text = canonical(values)
    return text if len(text) <= limit else text[:limit] + "..."


def schema_differences(want: Any, got: Any, path: str = "") -> list[tuple[str, str]]:
    """(location, what differs) pairs between two normalised schemas; ``want`` is the spec's."""
    if canonical(want) == canonical(got):
        return []
    if not isinstance(want, dict) or not isinstance(got, dict):
        return [(path, f"{_short([want], 120)} != {_short([got], 120)}")]
    out: list[tuple[str, str]] = []
    wt, gt = want.get("type"), got.get("type")
    if wt != gt:
        out.append((path, f"type {_type_text(wt)} != {_type_text(gt)}"))
        if wt is not None and gt is not None:
            return out  # a different shape: the details below would only repeat it
    for key in ("format", "enum", "const"):
        if want.get(key) != got.get(key):
            mine, theirs = _short([want.get(key)], 120)[1:-1], _short([got.get(key)], 120)[1:-1]
            out.append((path, f"{key} {mine} != {theirs}"))
    wp, gp = want.get("properties", {}), got.get("properties", {})
    wr, gr = set(want.get("required", [])), set(got.get("required", []))
    for name in sorted(set(wp) | set(gp)):
        at = f"{path} property {name!r}"
        if name not in gp:
            out.append((at, "missing"))
        elif name not in wp:
            out.append((at, "not in the spec"))
        else:
            out.extend(schema_differences(wp[name], gp[name], at))
    for name in sorted(wr - gr):
        out.append((f"{path} property {name!r}", "required in the spec, optional here"))
    for name in sorted(gr - wr):
        out.append((f"{path} property {name!r}", "optional in the spec, required here"))
    for key, label in (
        ("items", " items"),
        ("additionalProperties", " additionalProperties"),
        ("not", " not"),
    ):
        if key in want or key in got:
            out.extend(schema_differences(want.get(key, {}), got.get(key, {}), path + label))
    for key in ("anyOf", "allOf", "prefixItems"):
        wa, ga = want.get(key, []), got.get(key, [])
        if canonical(wa) != canonical(ga):
            missing = [b for b in wa if canonical(b) not in {canonical(x) for x in ga}]
            extra = [b for b in ga if canonical(b) not in {canonical(x) for x in wa}]
            if len(missing) == 1 and len(extra) == 1:
                out.extend(schema_differences(missing[0], extra[0], f"{path} {key} branch"))
            else:
                out.append(
                    (
                        path,
                        f"{key} branches differ: spec-only {_short(missing, 150)}, "
                        f"here-only {_short(extra, 150)}",
                    )
                )
    if not out:
        out.append((path, f"{_short([want], 150)} != {_short([got], 150)}"))
    return out


def _type_text(value: Any) -> str:
    if value is None:
        return "(none)"
    return "|".join(value) if isinstance(value, list) else str(value)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _sequence(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


__all__ = ["Difference", "OperationView", "compare", "normalise_address", "normalise_schema", "operations"]
