"""YAML 1.2 (core schema) text -> MapNode/SeqNode trees with locations.

A private helper of :mod:`asyncgen.load`. PyYAML parses (libyaml's C parser when
available, else PyYAML's pure-Python one - both are iterative state machines);
the *composer* here is our own and iterative too, so we control what PyYAML's
1.1 constructor would get wrong or do unsafely:

* YAML 1.2 core schema for plain scalars: only ``true``/``false`` (``True``,
  ``TRUE``...) are booleans, ``on``/``off``/``yes``/``no``/``y``/``n`` stay
  strings, ``18:00`` and ``2020-01-31T13:24:53Z`` stay strings, ``0o17``/``0x1F``
  are ints, ``.inf``/``.nan`` floats, ``~``/``null``/empty are ``None``.
* Only the core tags (``!!str``, ``!!int``, ``!!float``, ``!!bool``, ``!!null``,
  ``!!map``, ``!!seq``) are accepted; anything else (``!!python/object``...) is
  an error. Nothing is ever instantiated from a tag.
* Duplicate keys are errors naming both places; scalar keys become strings as
  written (``200:`` -> ``"200"``); complex keys (mappings/lists) are errors.
* Aliases share the anchored node (no copying); the size the document would
  have once expanded is counted (memoised per anchor) against ``max_nodes``,
  so an alias bomb fails after a few hundred events. Nesting is bounded by
  ``max_depth`` before anything recurses.
* ``<<`` merge keys (YAML 1.1, not 1.2 - but js-yaml, which the AsyncAPI tools
  use, supports them and real specs use them) merge like PyYAML does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from asyncgen.document import MapNode, SeqNode
from asyncgen.errors import Location, SpecError, SpecErrors, escape_pointer_part

try:
    from yaml._yaml import CParser as _CParserImpl

    _CParser: type[Any] | None = _CParserImpl
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    _CParser = None


class _PyParser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    """PyYAML's pure-Python event parser (fallback when libyaml is missing)."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)


EMPTY: Any = object()  # the stream holds no document at all


class LimitError(SpecError):
    """A depth or size limit was hit: the text is refused, no other parser should retry it."""


_CORE = "tag:yaml.org,2002:"
_SPECIAL: dict[str, Any] = {
    "~": None, "null": None, "Null": None, "NULL": None,
    "true": True, "True": True, "TRUE": True,
    "false": False, "False": False, "FALSE": False,
}  # fmt: skip
_INT10 = re.compile(r"[-+]?[0-9]+")
_INT8 = re.compile(r"0o[0-7]+")
_INT16 = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)")


def _number(value: str) -> Any:
    """The core-schema number ``value`` denotes, or ``None`` if it is none."""
    try:
        if _INT10.fullmatch(value):
            return int(value)
        if _INT8.fullmatch(value):
            return int(value[2:], 8)
        if _INT16.fullmatch(value):
            return int(value[2:], 16)
    except ValueError:  # more digits than int() accepts: keep the text
        return None
    if _FLOAT.fullmatch(value) or _INF.fullmatch(value):
        return float(value.replace(".inf", "inf").replace(".Inf", "inf").replace(".INF", "inf"))
    if _NAN.fullmatch(value):
        return float("nan")
    return None


def resolve_plain(value: str) -> Any:
    """A plain (unquoted, untagged) scalar under the YAML 1.2 core schema."""
    if not value:
        return None
    if value[0] in "0123456789+-.":
        number = _number(value)
        return value if number is None else number
    if value in _SPECIAL:
        return _SPECIAL[value]
    return value


def short_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


def _tagged(value: str, tag: str) -> tuple[Any, str | None]:
    """(value, error) for a scalar with an explicit core tag."""
    kind = tag[len(_CORE) :] if tag.startswith(_CORE) else None
    if kind == "str":
        return value, None
    if kind in ("int", "float"):
        number = _number(value.strip())
        if number is None or (kind == "int" and not isinstance(number, int)):
            return value, f"{short_tag(tag)} value {value!r} is not a valid {kind}"
        return (float(number) if kind == "float" else number), None
    if kind in ("bool", "null"):
        special = _SPECIAL.get(value, value) if value else None
        ok = isinstance(special, bool) if kind == "bool" else special is None
        return (special, None) if ok else (value, f"{short_tag(tag)} value {value!r} is not a valid {kind}")
    return value, f"unsupported YAML tag {short_tag(tag)!r}"


_CORE_HINT = "only YAML 1.2 core schema tags are allowed"
_MAP_TAG, _SEQ_TAG = _CORE + "map", _CORE + "seq"


@dataclass
class Parsed:
    """What a file composed into."""

    root: Any
    #: every MapNode/SeqNode created, in document order
    containers: list[Any] = field(default_factory=list)
    #: whether any mapping has a ``$ref`` key (so the caller can skip work)
    has_refs: bool = False
    #: ids of containers with no ``$ref`` key at or below them (ref resolution skips them);
    #: a container not listed may have one
    ref_free: set[int] = field(default_factory=set)
    #: the text parsed (YAML only: the marks kept for keys index into it), for
    #: :mod:`asyncgen.fingerprint`
    text: str | None = None
    #: whether any anchor, ``<<`` merge key or ``%TAG`` directive was used (a node's value then
    #: depends on text elsewhere in the file)
    shared: bool = False


class _Composer:
    def __init__(
        self, parser: Any, file: str, max_depth: int, max_nodes: int, restore: dict[int, int] | None = None
    ) -> None:
        self.parser = parser
        #: placeholder -> original character, see :func:`compose`
        self.restore = restore
        self.file = file
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        #: anchor -> (node, expanded size, scalar key text or None)
        self.anchors: dict[str, tuple[Any, int, str | None]] = {}
        self.errors: list[SpecError] = []
        self.out = Parsed(EMPTY)
        #: ids of mappings with a plain ``<<`` key, merged when the mapping ends
        self.merge_keys: set[int] = set()
        self.aliases = False

    def loc(self, mark: Any, pointer: str) -> Location:
        return Location(self.file, mark.line + 1, mark.column + 1, pointer)

    def fail(self, message: str, mark: Any, pointer: str = "", hint: str | None = None) -> SpecError:
        return SpecError(message, self.loc(mark, pointer), hint=hint)

    def run(self) -> Parsed:
        get = self.parser.get_event
        get()  # StreamStart
        event = get()
        if isinstance(event, yaml.StreamEndEvent):
            return self.out
        directives = event.tags  # (DocumentStart: its %TAG directives, None when there are none)
        root = self.document()
        get()  # DocumentEnd
        event = get()
        if isinstance(event, yaml.DocumentStartEvent):
            raise self.fail(
                "more than one YAML document in the file",
                event.start_mark,
                hint="a spec file holds exactly one document; remove the extra '---' section",
            )
        self.out.root = root
        self.out.shared = bool(self.anchors or self.merge_keys or directives)
        if self.errors:
            raise self.errors[0] if len(self.errors) == 1 else SpecErrors(self.errors)
        return self.out

    def document(self) -> Any:
        """The document's root value, composed in one pass over the parser's events.

        The hot loop of loading: the innermost open container's state lives in
        local variables (the enclosing ones' on ``stack``), and locations are
        of keys and items kept as the parser's marks, turned into :class:`Location`
        objects only when someone asks (see :class:`~asyncgen.document.MapNode`).
        """
        get = self.parser.get_event
        restore, file, anchors, errors, out = self.restore, self.file, self.anchors, self.errors, self.out
        containers, merge_keys, ref_free = out.containers, self.merge_keys, out.ref_free
        max_depth, max_nodes = self.max_depth, self.max_nodes
        scalar_t, alias_t = yaml.ScalarEvent, yaml.AliasEvent
        map_t, seq_t = yaml.MappingStartEvent, yaml.SequenceStartEvent
        map_end_t, seq_end_t = yaml.MappingEndEvent, yaml.SequenceEndEvent
        new_map, new_seq = dict.__new__, list.__new__
        special, numeric = _SPECIAL, "0123456789+-."
        #: the enclosing containers' (node, is_map, pointer, locs, anchor, start count, below)
        stack: list[tuple[Any, bool, str, Any, str | None, int, bool]] = []
        node: Any = None  # the innermost open container; None at the top level
        is_map = False
        pointer = ""  # node's JSON pointer
        locs: Any = None  # node's key -> mark dict, or item marks list
        anchor: str | None = None  # node's anchor
        start = 0  # the count when node opened
        below = False  # whether node (so far) has a $ref key at or below it (or might have)
        key: Any = None  # the key (str) waiting for its value (mappings); None: a key comes next
        key_mark: Any = None
        key_merges = False  # the key is a plain "<<"
        count = 0
        while True:
            event = get()
            etype = type(event)
            # -- the end of the innermost container ------------------------------
            if etype is map_end_t or etype is seq_end_t:
                closed = node
                if merge_keys and id(closed) in merge_keys:
                    self.merge(closed)
                    below = True  # (so is its "<<" value already; merged values are not tracked apart)
                if count > max_nodes:
                    raise self.too_many(closed.loc)
                if anchor is not None:
                    anchors[anchor] = (closed, count - start + 1, None)
                if not below:
                    ref_free.add(id(closed))
                closed_below = below
                node, is_map, pointer, locs, anchor, start, below = stack.pop()
                if closed_below:
                    below = True
                if node is None:
                    return closed
                continue
            # -- a mapping key ----------------------------------------------------
            if is_map and key is None:
                if etype is scalar_t:
                    text = event.value
                    if restore is not None:
                        text = text.translate(restore)
                    tag = event.tag
                    merge_key = False
                    if tag is not None and tag != "!":
                        key_value, problem = _tagged(text, tag)
                        if problem:
                            errors.append(self.fail(problem, event.start_mark, hint=_CORE_HINT))
                        if event.anchor is not None:
                            anchors[event.anchor] = (key_value, 1, text)
                    else:
                        if event.anchor is not None:
                            plain = tag is None and event.implicit[0]
                            anchors[event.anchor] = (resolve_plain(text) if plain else text, 1, text)
                        if text == "<<":  # only a plain one merges
                            merge_key = tag is None and event.implicit[0]
                else:
                    found = anchors.get(event.anchor) if etype is alias_t else None
                    if found is None or not found[2]:
                        raise self.fail(
                            "complex mapping keys (a mapping or list used as a key) are not supported",
                            event.start_mark,
                            pointer,
                            hint="keys must be plain strings or numbers",
                        )
                    text, merge_key = found[2], False
                count += 1
                key_mark = event.start_mark
                if text in node:
                    first = node.key_loc(text) if text in locs else None
                    where = f"at line {first.line}:{first.column}" if first else "earlier"
                    errors.append(
                        SpecError(
                            f"duplicate key {text!r} (first defined {where})",
                            self.loc(key_mark, pointer + "/" + escape_pointer_part(text)),
                            hint="mapping keys must be unique; other tools would silently keep only one",
                        )
                    )
                if text == "$ref":
                    out.has_refs = below = True
                key, key_merges = text, merge_key
                continue
            # -- a value ----------------------------------------------------------
            if etype is scalar_t:
                count += 1
                text = event.value
                if restore is not None:
                    text = text.translate(restore)
                tag = event.tag
                if tag is None:
                    if event.implicit[0] and (text[:1] in numeric or text in special):
                        value = resolve_plain(text)  # ("" is in every string: empty -> None)
                    else:
                        value = text
                elif tag == "!":
                    value = text
                else:
                    value, problem = _tagged(text, tag)
                    if problem:
                        errors.append(self.fail(problem, event.start_mark, hint=_CORE_HINT))
                if event.anchor is not None:
                    anchors[event.anchor] = (value, 1, text)
            elif etype is alias_t:
                found = anchors.get(event.anchor)
                if found is None:
                    open_anchor = anchor == event.anchor or any(f[4] == event.anchor for f in stack)
                    problem = (
                        "refers to a node that contains it"
                        if open_anchor
                        else f"has no anchor &{event.anchor} before it"
                    )
                    raise self.fail(f"alias *{event.anchor} {problem}", event.start_mark)
                value = found[0]
                count += found[1]
                self.aliases = True
                if not below and isinstance(value, MapNode | SeqNode) and id(value) not in ref_free:
                    below = True
            elif etype is map_t or etype is seq_t:
                count += 1
                mark = event.start_mark
                if len(stack) >= max_depth:  # stack: the open containers (and the top level)
                    raise LimitError(  # no pointer: it would be hundreds of levels long
                        f"nesting deeper than {max_depth} levels",
                        self.loc(mark, ""),
                        hint="too deeply nested to be a spec (raise the limit if it is genuine)",
                    )
                if node is None:
                    child_pointer = ""
                elif is_map:
                    part = key if "~" not in key and "/" not in key else escape_pointer_part(key)
                    child_pointer = pointer + "/" + part
                else:
                    child_pointer = f"{pointer}/{len(node)}"
                child: Any
                child_locs: Any
                if etype is map_t:
                    child = new_map(MapNode)
                    child._keys = child_locs = {}
                    child.ref = child.ref_target = None
                else:
                    child = new_seq(SeqNode)
                    child._items = child_locs = []
                child.loc = Location(file, mark.line + 1, mark.column + 1, child_pointer)
                tag = event.tag
                if tag is not None and tag not in ("!", _MAP_TAG if etype is map_t else _SEQ_TAG):
                    errors.append(
                        self.fail(
                            f"unsupported YAML tag {short_tag(tag)!r}", mark, child_pointer, hint=_CORE_HINT
                        )
                    )
                containers.append(child)
                if node is not None:
                    if is_map:
                        if key_merges:
                            merge_keys.add(id(node))
                        node[key] = child
                        locs[key] = key_mark
                        key = None
                    else:
                        locs.append(mark)
                        node.append(child)
                stack.append((node, is_map, pointer, locs, anchor, start, below))
                node, is_map, pointer, locs, anchor, start, below = (
                    child,
                    etype is map_t,
                    child_pointer,
                    child_locs,
                    event.anchor,
                    count,
                    False,
                )
                continue
            else:  # pragma: no cover - the parser guarantees the grammar
                raise self.fail(f"unexpected YAML event {etype.__name__}", event.start_mark)
            if count > max_nodes:
                raise self.too_many(self.loc(event.start_mark, ""))
            if node is None:
                return value
            if is_map:
                if key_merges:
                    merge_keys.add(id(node))
                node[key] = value
                locs[key] = key_mark
                key = None
            else:
                locs.append(event.start_mark)
                node.append(value)

    def too_many(self, where: Location) -> SpecError:
        if self.aliases:
            return LimitError(
                f"the document expands to more than {self.max_nodes:,} nodes (YAML alias bomb?)",
                where,
                hint="aliases (*name) may not multiply the document beyond the node limit",
            )
        return LimitError(f"the document has more than {self.max_nodes:,} nodes", where)

    def merge(self, node: MapNode) -> None:
        """Apply a ``<<`` merge key: explicit keys win, then earlier merged mappings."""
        where = node.key_locs.get("<<", node.loc)
        source = node.pop("<<")
        node.key_locs.pop("<<", None)
        sources = list(source) if isinstance(source, list) else [source]
        for item in sources:
            if not isinstance(item, MapNode):
                self.errors.append(SpecError("'<<' merge key needs a mapping or a list of mappings", where))
                return
            for key, value in item.items():
                if key not in node:
                    node[key] = value
                    node.key_locs[key] = item.key_locs.get(key, item.loc)


def _yaml_hint(problem: str) -> str | None:
    if "'\\t'" in problem or "tab" in problem:
        return "YAML does not allow tabs for indentation; indent with spaces"
    if "mapping values are not allowed" in problem:
        return "check the indentation, or quote a value that contains ': '"
    if "could not find expected ':'" in problem or "expected <block end>" in problem:
        return "check the indentation of this line and the one before it"
    if "found undefined alias" in problem or "alias" in problem:
        return "anchors (&name) must be defined before their aliases (*name)"
    return None


def yaml_error(err: yaml.YAMLError, text: str, file: str) -> SpecError:
    """A located SpecError from a PyYAML/libyaml error."""
    if isinstance(err, yaml.MarkedYAMLError):
        mark = err.problem_mark or err.context_mark
        problem = err.problem or err.context or "invalid YAML"
        message = f"YAML syntax error: {problem}"
        if err.context and err.context_mark is not None and err.problem:
            message += f" ({err.context} at line {err.context_mark.line + 1})"
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        at = text[mark.index : mark.index + 1] if mark is not None else ""
        if at == "\t" and "tab" not in problem:
            problem += " (a tab)"
            message += " - a tab"
        return SpecError(message, Location(file, line, column), hint=_yaml_hint(problem))
    if isinstance(err, yaml.reader.ReaderError):
        line, column = position(text, err.position)
        return SpecError(
            f"unacceptable character #x{err.character:02x} in YAML text: {err.reason}"
            if isinstance(err.character, int)
            else f"unacceptable character {err.character!r} in YAML text: {err.reason}",
            Location(file, line, column),
            hint="is this a binary file? specs must be UTF-8 text without control characters",
        )
    return SpecError(f"YAML error: {err}", Location(file, 1, 1))


def position(text: str, index: int) -> tuple[int, int]:
    """1-based (line, column) of character ``index`` in ``text``."""
    index = max(0, min(index, len(text)))
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


#: YAML 1.1 (libyaml, PyYAML) reads NEL/LS/PS as line breaks; YAML 1.2 and JSON do not
_BREAKS_11 = {0x85: 0xF0085, 0x2028: 0xF2028, 0x2029: 0xF2029}  # -> supplementary private use
_RESTORE_11 = {new: old for old, new in _BREAKS_11.items()}
_BREAKS_RE = re.compile("[\x85\u2028\u2029]")


def compose(text: str, file: str, *, max_depth: int, max_nodes: int) -> Parsed:
    """Compose the single YAML document in ``text``; raises SpecError/SpecErrors.

    U+0085, U+2028 and U+2029 are ordinary characters in YAML 1.2 but line breaks
    to the 1.1 parsers we drive, so they are swapped for private-use placeholders
    (one character each: positions do not move) and restored in every scalar.
    """
    original, restore = text, None
    if not text.isascii() and _BREAKS_RE.search(text) and not any(chr(c) in text for c in _RESTORE_11):
        text, restore = text.translate(_BREAKS_11), _RESTORE_11
    parser = _CParser(text) if _CParser is not None else _PyParser(text)
    try:
        parsed = _Composer(parser, file, max_depth, max_nodes, restore).run()
    except yaml.YAMLError as err:
        raise yaml_error(err, text, file) from None
    parsed.text = original  # (the placeholders above keep every position)
    return parsed
