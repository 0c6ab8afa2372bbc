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
from asyncgen.errors import Location, SpecError, SpecErrors

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


def _esc(part: str) -> str:
    if "~" in part or "/" in part:
        return part.replace("~", "~0").replace("/", "~1")
    return part


@dataclass
class Parsed:
    """What a file composed into."""

    root: Any
    #: every MapNode/SeqNode created, in document order
    containers: list[Any] = field(default_factory=list)
    #: whether any mapping has a ``$ref`` key (so the caller can skip work)
    has_refs: bool = False


class _Frame:
    __slots__ = ("anchor", "key", "key_loc", "key_plain", "node", "pointer", "start_count")

    def __init__(self, node: Any, pointer: str, anchor: str | None, start_count: int) -> None:
        self.node = node
        self.pointer = pointer
        self.anchor = anchor
        self.start_count = start_count
        self.key: str | None = None
        self.key_loc: Location | None = None
        self.key_plain = False


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
        self.count = 0
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
        if self.errors:
            raise self.errors[0] if len(self.errors) == 1 else SpecErrors(self.errors)
        return self.out

    def document(self) -> Any:
        get = self.parser.get_event
        stack: list[_Frame] = []
        containers = self.out.containers
        max_depth, max_nodes = self.max_depth, self.max_nodes
        scalar_t, alias_t = yaml.ScalarEvent, yaml.AliasEvent
        map_t, seq_t = yaml.MappingStartEvent, yaml.SequenceStartEvent
        while True:
            event = get()
            etype = type(event)
            top = stack[-1] if stack else None
            # -- a mapping key ------------------------------------------------
            if top is not None and top.key is None and type(top.node) is MapNode:
                if etype is yaml.MappingEndEvent:
                    value = self.close(stack.pop())
                    if not stack:
                        return value
                    continue
                if etype is scalar_t:
                    key_text = event.value if self.restore is None else event.value.translate(self.restore)
                    plain = event.implicit[0] and event.tag is None
                    if event.tag is not None and event.tag != "!":
                        key_value, problem = _tagged(key_text, event.tag)
                        if problem:
                            self.errors.append(
                                self.fail(
                                    problem,
                                    event.start_mark,
                                    hint="only YAML 1.2 core schema tags are allowed",
                                )
                            )
                    else:
                        key_value = resolve_plain(key_text) if plain else key_text
                    if event.anchor is not None:
                        self.anchors[event.anchor] = (key_value, 1, key_text)
                elif etype is alias_t and event.anchor in self.anchors and self.anchors[event.anchor][2]:
                    key_text, plain = self.anchors[event.anchor][2], False
                else:
                    raise self.fail(
                        "complex mapping keys (a mapping or list used as a key) are not supported",
                        event.start_mark,
                        top.pointer,
                        hint="keys must be plain strings or numbers",
                    )
                self.count += 1
                key_loc = self.loc(event.start_mark, top.pointer + "/" + _esc(key_text))
                if key_text in top.node:
                    first = top.node.key_locs.get(key_text)
                    where = f"at line {first.line}:{first.column}" if first else "earlier"
                    self.errors.append(
                        SpecError(
                            f"duplicate key {key_text!r} (first defined {where})",
                            key_loc,
                            hint="mapping keys must be unique; other tools would silently keep only one",
                        )
                    )
                if key_text == "$ref":
                    self.out.has_refs = True
                top.key, top.key_loc, top.key_plain = key_text, key_loc, plain
                continue
            # -- a value (or the end of a sequence) ---------------------------
            if etype is scalar_t:
                self.count += 1
                text = event.value if self.restore is None else event.value.translate(self.restore)
                if event.tag is None or event.tag == "!":
                    value = resolve_plain(text) if event.implicit[0] and event.tag is None else text
                else:
                    value, problem = _tagged(text, event.tag)
                    if problem:
                        self.errors.append(
                            self.fail(
                                problem, event.start_mark, hint="only YAML 1.2 core schema tags are allowed"
                            )
                        )
                if event.anchor is not None:
                    self.anchors[event.anchor] = (value, 1, text)
            elif etype is alias_t:
                found = self.anchors.get(event.anchor)
                if found is None:
                    open_anchor = any(f.anchor == event.anchor for f in stack)
                    problem = (
                        "refers to a node that contains it"
                        if open_anchor
                        else f"has no anchor &{event.anchor} before it"
                    )
                    raise self.fail(f"alias *{event.anchor} {problem}", event.start_mark)
                value = found[0]
                self.count += found[1]
                self.aliases = True
            elif etype is map_t or etype is seq_t:
                self.count += 1
                if len(stack) >= max_depth:
                    raise LimitError(  # no pointer: it would be hundreds of levels long
                        f"nesting deeper than {max_depth} levels",
                        self.loc(event.start_mark, ""),
                        hint="too deeply nested to be a spec (raise the limit if it is genuine)",
                    )
                pointer = self.child_pointer(top)
                node: Any = MapNode(loc=self.loc(event.start_mark, pointer)) if etype is map_t else None
                if node is None:
                    node = SeqNode(loc=self.loc(event.start_mark, pointer))
                tag = event.tag
                if tag is not None and tag != "!" and tag != _CORE + ("map" if etype is map_t else "seq"):
                    self.errors.append(
                        self.fail(
                            f"unsupported YAML tag {short_tag(tag)!r}",
                            event.start_mark,
                            pointer,
                            hint="only YAML 1.2 core schema tags are allowed",
                        )
                    )
                containers.append(node)
                if top is not None:
                    self.attach(top, node, event.start_mark)
                stack.append(_Frame(node, pointer, event.anchor, self.count))
                continue
            elif etype is yaml.SequenceEndEvent:
                value = self.close(stack.pop())
                if not stack:
                    return value
                continue
            else:  # pragma: no cover - the parser guarantees the grammar
                raise self.fail(f"unexpected YAML event {etype.__name__}", event.start_mark)
            if self.count > max_nodes:
                raise self.too_many(self.loc(event.start_mark, ""))
            if top is None:
                return value
            self.attach(top, value, event.start_mark)

    def child_pointer(self, top: _Frame | None) -> str:
        if top is None:
            return ""
        if top.key is not None:
            return top.pointer + "/" + _esc(top.key)
        return f"{top.pointer}/{len(top.node)}"

    def attach(self, top: _Frame, value: Any, mark: Any) -> None:
        node = top.node
        if top.key is not None:
            key = top.key
            if key == "<<" and top.key_plain:
                self.merge_keys.add(id(node))
            node[key] = value
            node.key_locs[key] = top.key_loc
            top.key = None
        else:
            node.item_locs.append(self.loc(mark, f"{top.pointer}/{len(node)}"))
            node.append(value)

    def close(self, frame: _Frame) -> Any:
        node = frame.node
        if id(node) in self.merge_keys:
            self.merge(node)
        if self.count > self.max_nodes:
            raise self.too_many(node.loc)
        if frame.anchor is not None:
            self.anchors[frame.anchor] = (node, self.count - frame.start_count + 1, None)
        return node

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
    restore = None
    if _BREAKS_RE.search(text) and not any(chr(c) in text for c in _RESTORE_11):
        text, restore = text.translate(_BREAKS_11), _RESTORE_11
    parser = _CParser(text) if _CParser is not None else _PyParser(text)
    try:
        return _Composer(parser, file, max_depth, max_nodes, restore).run()
    except yaml.YAMLError as err:
        raise yaml_error(err, text, file) from None
