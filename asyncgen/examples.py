"""Deterministic example payloads for generated tests and default handlers.

The spec's own example when it validates against the schema (checked with
``jsonschema``), else one synthesised from the schema: ``const``, ``enum[0]``,
``default``, ``examples[0]``, then by type (formats get fixed sample values,
numbers respect minimum/exclusiveMinimum/maximum/multipleOf, strings min/maxLength,
objects get every required property and the optional ones that can be made).
The same input always gives the same example. A synthesised value is only used
when it validates too; otherwise there is no example (the generated test skips
with that reason) rather than a wrong one.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import math
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from asyncgen.model import Message


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


_FORMATS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "12:00:00Z",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "iri": "https://example.com/",
    "uri-reference": "https://example.com/",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "duration": "P1D",
    "byte": "ZXhhbXBsZQ==",
}
_MAX_DEPTH = 12


def example_for(message: Message, defs: Mapping[str, Any]) -> tuple[Any, bool]:
    """(example payload, found) for a message with a JSON payload schema."""
    if message.payload is None:
        return None, False
    cache = _CACHE.get()
    if cache is None:
        return _example_for(message, defs)
    return cache.example_for(message, defs)


def _example_for(message: Message, defs: Mapping[str, Any]) -> tuple[Any, bool]:
    assert message.payload is not None
    return example_of(dict(message.payload.schema), _payloads(message), defs)


def _payloads(message: Message) -> list[Any]:
    return [ex.payload for ex in message.examples if ex.has_payload]


def example_of(schema: Mapping[str, Any], payloads: list[Any], defs: Mapping[str, Any]) -> tuple[Any, bool]:
    """(example, found) of a payload schema with the spec's example payloads: :func:`example_for`."""
    for payload in payloads:
        if valid(payload, schema, defs):
            return payload, True
    value = synthesise(schema, defs)
    if value is not _NOTHING and valid(value, schema, defs):
        return value, True
    return None, False


class _Nothing:
    pass


_NOTHING: Any = _Nothing()


def valid(value: Any, schema: Mapping[str, Any], defs: Mapping[str, Any]) -> bool:
    import jsonschema  # type: ignore[import-untyped,unused-ignore]

    try:
        validator = jsonschema.Draft202012Validator({**schema, "$defs": {**defs, **schema.get("$defs", {})}})
        return not any(True for _ in validator.iter_errors(value))
    except Exception:  # a schema jsonschema cannot handle: no example rather than a wrong one
        return False


def _resolve(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> Mapping[str, Any]:
    seen = 0
    while isinstance(schema.get("$ref"), str) and seen < _MAX_DEPTH:
        name = schema["$ref"].rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
        target = defs.get(name)
        if not isinstance(target, Mapping):
            return {}
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **extra}
        seen += 1
    return schema


def synthesise(schema: Any, defs: Mapping[str, Any], depth: int = 0) -> Any:
    """A deterministic instance of ``schema`` (``_NOTHING`` when none can be made)."""
    if schema is True or schema == {}:
        return "example"
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
        return _NOTHING
    schema = _resolve(schema, defs)
    for key in ("const", "default"):
        if key in schema:
            return schema[key]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    if isinstance(schema.get("allOf"), list):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = synthesise(part, defs, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        own = {k: v for k, v in schema.items() if k != "allOf"}
        if own.get("properties") or own.get("type") == "object":
            value = synthesise(own, defs, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    for key in ("oneOf", "anyOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            for option in schema[key]:
                value = synthesise(option, defs, depth + 1)
                if value is not _NOTHING:
                    return value
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    return _by_type(kind, schema, defs, depth)


def _by_type(kind: str, schema: Mapping[str, Any], defs: Mapping[str, Any], depth: int) -> Any:
    if kind == "object":
        props = _mapping(schema.get("properties"))
        required = [r for r in schema.get("required", []) if isinstance(r, str)]
        out: dict[str, Any] = {}
        for name in [*required, *(p for p in props if p not in required)]:
            value = synthesise(props.get(name, {}), defs, depth + 1)
            if value is _NOTHING:
                if name in required:
                    return _NOTHING
                continue
            out[name] = value
        return out
    if kind == "array":
        item = synthesise(schema.get("items", {}), defs, depth + 1)
        count = int(schema.get("minItems", 1) or 0)
        if item is _NOTHING:
            return [] if count == 0 else _NOTHING
        return [item] * max(count, 1)
    if kind == "string":
        fmt = schema.get("format")
        text = _FORMATS.get(fmt, "example") if isinstance(fmt, str) else "example"
        low, high = int(schema.get("minLength", 0) or 0), schema.get("maxLength")
        if len(text) < low:
            text = text + "x" * (low - len(text))
        if isinstance(high, int) and len(text) > high:
            text = text[:high]
        return text
    if kind in ("integer", "number"):
        return _number(kind, schema)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _NOTHING


def _number(kind: str, schema: Mapping[str, Any]) -> Any:
    low = schema.get("minimum")
    xlow = schema.get("exclusiveMinimum")
    high = schema.get("maximum")
    value: float = 1
    if isinstance(low, int | float):
        value = low
    if isinstance(xlow, int | float) and not isinstance(xlow, bool):
        value = xlow + 1
    if isinstance(high, int | float) and value > high:
        value = high
    step = schema.get("multipleOf")
    if isinstance(step, int | float) and step > 0:
        value = (value // step + (1 if value % step else 0)) * step
    return int(value) if kind == "integer" else value


_WRONG: dict[str, Any] = {"string": [], "integer": "x", "number": "x", "boolean": "maybe", "array": 12}
_WRONG["object"] = 12


def invalid_field_for(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> tuple[str, Any] | None:
    """(property, wrong value) that makes an otherwise valid instance invalid, or None."""
    schema = _resolve(schema, defs)
    props = _mapping(schema.get("properties"))
    required = [r for r in schema.get("required", []) if isinstance(r, str)]
    for name in [*required, *(p for p in props if p not in required)]:
        prop = _resolve(_mapping(props.get(name)), defs)
        enum = prop.get("enum")
        if isinstance(enum, list) and enum and all(isinstance(v, str) for v in enum):
            return name, "\x00not-a-member"
        kind = prop.get("type")
        combined = any(k in prop for k in ("oneOf", "anyOf", "allOf"))
        if isinstance(kind, str) and kind in _WRONG and not combined:
            return name, _WRONG[kind]
    return None


def headers_example(message: Message, defs: Mapping[str, Any]) -> dict[str, str] | None:
    """Valid headers (the spec's example, else synthesised) as broker header strings."""
    if message.headers is None:
        return None
    schema = dict(message.headers.schema)
    value = next((e.headers for e in message.examples if e.headers is not None), None)
    if value is None or not valid(value, schema, defs):
        value = synthesise(schema, defs)
    if not isinstance(value, Mapping) or not valid(value, schema, defs):
        return None
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


# ----------------------------------------------------------------------------- the examples cache

_CACHE: ContextVar[ExampleCache | None] = ContextVar("asyncgen_example_cache", default=None)
EXAMPLES_CACHE_VERSION = 2  # 2: keys hash marshal's bytes of the schemas (was their JSON text)
_DEFS_REF = "#/$defs/"
#: keywords that move JSON Schema's reference resolution away from plain "#/$defs/<name>"
_SCOPE_KEYWORDS = frozenset(
    {"$id", "$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor"}
)


class _Opaque(Exception):
    """A value the cache cannot key or keep: computed every time."""


#: values _scan need not look into (exact types; floats are checked for NaN/inf)
_JSON_LEAVES = frozenset({str, int, bool})


def _def_token(ref: Any) -> str:
    """The def name of a ``#/$defs/<one token>`` reference; :class:`_Opaque` for any other."""
    token = ref[len(_DEFS_REF) :] if isinstance(ref, str) and ref.startswith(_DEFS_REF) else ""
    if not token or "/" in token or "%" in token or "#" in token:
        raise _Opaque
    return token.replace("~1", "/").replace("~0", "~")


def _scan(node: Any, refs: set[str]) -> None:
    """Check ``node`` is plain JSON data and collect the def names its ``$ref``s name (or _Opaque).

    Every ``$ref`` (data included) must be ``#/$defs/<one token>``: what both this module's
    ``_resolve`` and jsonschema resolve to that def; nothing else may steer resolution.
    """
    stack = [node]
    push = stack.append
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:
            continue
        if kind is dict:  # the common case, without the general checks' isinstance calls
            for key, item in value.items():
                if (type(key) is not str and not isinstance(key, str)) or key in _SCOPE_KEYWORDS:
                    raise _Opaque
                if key == "$ref":
                    refs.add(_def_token(item))
                if not (item is None or type(item) in _JSON_LEAVES):
                    push(item)
            continue
        if isinstance(value, (bool, int, str)):
            continue
        if isinstance(value, float):
            if not math.isfinite(value):
                raise _Opaque
        elif isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str) or key in _SCOPE_KEYWORDS:
                    raise _Opaque
                if key == "$ref":
                    refs.add(_def_token(item))
                stack.append(item)
        elif isinstance(value, list):
            stack.extend(value)
        else:  # tuples, sets, objects: JSON would not keep them apart from lists/strings
            raise _Opaque


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _keyed(value: Any, refs: set[str]) -> bytes:
    """``value``'s bytes for a key, and the def names its ``$ref``s name into ``refs``.

    marshal's bytes (version 2: no back-references, no interning flags) are a function of the
    value that :func:`marshal.loads` inverts - key order and types included (``1``, ``1.0``,
    ``True``, a list and a tuple all differ) - at a third of json's cost. A value without a
    ``$`` byte has no ``$ref`` or scope keyword (a key's characters are in the bytes as UTF-8):
    only the others are walked (:func:`_scan`, which also refuses what JSON cannot hold there).
    ValueError: what marshal cannot write (any other object)."""
    data = marshal.dumps(value, 2)
    if b"$" in data:
        _scan(value, refs)
    return data


def _update(digest: Any, data: bytes) -> None:
    digest.update(len(data).to_bytes(8, "big"))
    digest.update(data)


def _same(memo: Any, schema: Any) -> bool:
    """Whether ``schema`` is the mapping ``memo`` was computed from, or a shallow copy of it (the
    same key and value objects in the same order: callers pass ``dict(d.schema)`` copies of the
    frozen IR). Identity only, never ``==`` (``1 == 1.0 == True``: other JSON text)."""
    if memo is schema:
        return True
    if type(memo) is not dict or type(schema) is not dict or len(memo) != len(schema):
        return False
    for (k1, v1), (k2, v2) in zip(memo.items(), schema.items(), strict=True):
        if k1 is not k2 or v1 is not v2:
            return False
    return True


class ExampleCache:
    """Examples of the last run by a hash of everything :func:`example_for` reads.

    The key covers the engine (asyncgen, jsonschema and Python versions), the payload schema,
    the message's example payloads and every def the schema reaches through ``$ref`` (in
    order: dict order is part of the synthesised example), each by its exact bytes
    (:func:`_keyed`). Schemas whose references are not plain ``#/$defs/<name>`` (or that use
    a scope keyword such as ``$id``), values marshal cannot write, and examples that do not
    survive a JSON round trip are never cached. The cache written holds exactly the entries
    this run looked up: a cold run writes the same.
    """

    def __init__(self, previous: Mapping[str, Any], engine: Mapping[str, str]) -> None:
        self.previous = previous
        self.engine = dict(engine)
        self._engine_bytes = _text(self.engine).encode("utf-8")
        self.entries: dict[str, list[Any]] = {}
        self.hits = 0
        #: def name -> (the def's mapping, (its bytes, the defs it names) or None: opaque)
        self._def_memo: dict[str, tuple[Any, tuple[bytes, frozenset[str]] | None]] = {}
        #: id(message) -> (message, its key, the (name, mapping) of every def the key read): a
        #: run looks each message up twice (prefetch, then the context), with equal defs
        self._key_memo: dict[int, tuple[Message, str, tuple[tuple[str, Any], ...]]] = {}
        #: examples computed ahead (:meth:`prefetch`) by key: not entries until looked up
        self.ready: dict[str, tuple[Any, bool]] = {}

    def _def(self, name: str, defs: Mapping[str, Any]) -> tuple[bytes, frozenset[str]] | None:
        schema = defs.get(name, _NOTHING)
        memo = self._def_memo.get(name)
        if memo is not None and _same(memo[0], schema):
            return memo[1]
        refs: set[str] = set()
        found: tuple[bytes, frozenset[str]] | None
        try:
            if schema is _NOTHING:
                raise KeyError(name)
            data = _keyed(schema, refs)
            found = (data, frozenset(refs))
        except (_Opaque, KeyError, TypeError, ValueError):
            found = None
        self._def_memo[name] = (schema, found)
        return found

    def key(self, message: Message, defs: Mapping[str, Any]) -> str | None:
        assert message.payload is not None
        memo = self._key_memo.get(id(message))
        if (
            memo is not None
            and memo[0] is message
            and all(_same(s, defs.get(n, _NOTHING)) for n, s in memo[2])
        ):
            return memo[1]
        schema = dict(message.payload.schema)
        payloads = _payloads(message)
        refs: set[str] = set()
        try:
            parts = [_keyed(schema, refs), _keyed(payloads, refs)]
        except (_Opaque, TypeError, ValueError):
            return None
        todo, reached = sorted(refs), set(refs)
        while todo:
            found = self._def(todo.pop(), defs)
            if found is None:
                return None
            for name in sorted(found[1] - reached):
                reached.add(name)
                todo.append(name)
        digest = hashlib.sha256(self._engine_bytes)
        for part in parts:
            _update(digest, part)
        for name in sorted(reached):
            _update(digest, name.encode("utf-8", "surrogatepass"))
            _update(digest, self._def(name, defs)[0])  # type: ignore[index]
        key = digest.hexdigest()
        self._key_memo[id(message)] = (message, key, tuple((n, defs[n]) for n in sorted(reached)))
        return key

    def example_for(self, message: Message, defs: Mapping[str, Any]) -> tuple[Any, bool]:
        key = self.key(message, defs)
        if key is None:
            return _example_for(message, defs)
        entry = self.previous.get(key)
        if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], bool):
            self.hits += 1
            self.entries[key] = entry
            return entry[0], entry[1]
        ready = self.ready.get(key)
        value, found = ready if ready is not None else _example_for(message, defs)
        try:
            _scan(value, set())
            kept = json.loads(_text(value))
        except (_Opaque, TypeError, ValueError):
            return value, found
        if kept == value:  # the JSON round trip keeps it: a later run may take it from the cache
            self.entries[key] = [kept, found]
        return value, found

    def prefetch(self, messages: Iterable[Message], defs: Mapping[str, Any], worker: Any = None) -> None:
        """Compute the examples of ``messages`` ahead, for :meth:`example_for` to take (a cold
        run does it while dcg runs in its worker). Only what is looked up counts as used: the
        cache written stays the same. A message whose example cannot be made here (an error) is
        left to its lookup, which reports the error where it matters.

        ``worker`` (:class:`asyncgen.dcgworker.DcgWorker`, while it runs a small dcg request): the
        few examples to make go to it (:meth:`~asyncgen.dcgworker.DcgWorker.examples`), which has
        jsonschema imported already (~40 ms of the main process's time on a one-channel change);
        what it cannot answer exactly is made at the lookup, as without it."""
        todo: list[tuple[str, Message]] = []
        for message in messages:
            if message.payload is None:
                continue
            try:
                key = self.key(message, defs)
            except Exception:  # only a head start: the lookup computes it again, and reports it
                continue
            if key is not None and key not in self.previous and key not in self.ready:
                todo.append((key, message))
        if todo and worker is not None and self._ask_worker(worker, todo, defs):
            return
        for key, message in todo:
            try:
                self.ready[key] = _example_for(message, defs)
            except Exception:  # only a head start: the lookup computes it again, and reports it
                continue

    def _ask_worker(self, worker: Any, todo: list[tuple[str, Message]], defs: Mapping[str, Any]) -> bool:
        jobs: list[list[Any]] = []
        for key, message in todo:
            assert message.payload is not None
            memo = self._key_memo.get(id(message))
            if memo is None or memo[1] != key:
                return False
            reached = {name: defs[name] for name, _ in memo[2]}  # all the example can read
            jobs.append([dict(message.payload.schema), _payloads(message), reached])

        def take(answers: list[Any]) -> None:
            if len(answers) != len(todo):
                return
            for (key, _), answer in zip(todo, answers, strict=True):
                if isinstance(answer, list) and len(answer) == 2 and isinstance(answer[1], bool):
                    self.ready[key] = (answer[0], answer[1])

        return bool(worker.examples(jobs, take))

    def to_bytes(self) -> bytes:
        data = {
            "version": EXAMPLES_CACHE_VERSION,
            "engine": self.engine,
            "examples": dict(sorted(self.entries.items())),
        }
        return (json.dumps(data, ensure_ascii=False, indent=0) + "\n").encode("utf-8")


def examples_engine() -> dict[str, str]:
    from importlib.metadata import version

    from asyncgen.engine import engine_id

    # the package's own bytes too (engine_id): a changed synthesiser in a developer's tree is another engine
    return {
        "asyncgen": engine_id(),
        "jsonschema": version("jsonschema"),
        "cache": str(EXAMPLES_CACHE_VERSION),
        "python": sys.version,  # the keys hash marshal's bytes, which are this interpreter's
    }


def read_examples_cache(path: Any, engine: Mapping[str, str]) -> dict[str, Any]:
    """The entries of the last run's examples cache (``{}``: none, damaged, or another engine)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != EXAMPLES_CACHE_VERSION:
        return {}
    if data.get("engine") != dict(engine) or not isinstance(data.get("examples"), dict):
        return {}
    examples: dict[str, Any] = data["examples"]
    return examples


@contextmanager
def example_cache(previous: Mapping[str, Any], engine: Mapping[str, str]) -> Iterator[ExampleCache]:
    """Within the block, :func:`example_for` goes through a cache (this thread/context only)."""
    with use_example_cache(ExampleCache(previous, engine)) as cache:
        yield cache


@contextmanager
def use_example_cache(cache: ExampleCache) -> Iterator[ExampleCache]:
    """Within the block, :func:`example_for` goes through ``cache`` (this thread/context only)."""
    token = _CACHE.set(cache)
    try:
        yield cache
    finally:
        _CACHE.reset(token)
