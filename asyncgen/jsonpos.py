"""Strict JSON text -> MapNode/SeqNode trees with locations (private helper of load.py).

libyaml reads almost all JSON, but not all: keys longer than 1024 characters,
a newline between a key and its colon, and some tab placements are JSON but not
YAML. ``load`` falls back to this parser when YAML parsing of JSON-looking text
fails. Iterative (no recursion), depth-limited, duplicate keys are errors;
strings are decoded by the stdlib's C ``scanstring``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from json import JSONDecodeError, decoder
from typing import Any

from asyncgen.document import MapNode, SeqNode
from asyncgen.errors import Location, SpecError, SpecErrors, escape_pointer_part
from asyncgen.yaml12 import LimitError, Parsed

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
#: the stdlib's (C) JSON string decoder; public in practice, absent from typeshed
scanstring: Callable[[str, int, bool], tuple[str, int]] = decoder.scanstring  # type: ignore[attr-defined]
_LITERALS = {"true": True, "false": False, "null": None}


class _Parser:
    def __init__(self, text: str, file: str, max_depth: int, max_nodes: int) -> None:
        self.text = text
        self.file = file
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.errors: list[SpecError] = []
        self.out = Parsed(None)

    def loc(self, index: int, pointer: str) -> Location:
        line = bisect_right(self.starts, index)
        return Location(self.file, line, index - self.starts[line - 1] + 1, pointer)

    def fail(self, message: str, index: int) -> SpecError:
        return SpecError(f"JSON syntax error: {message}", self.loc(index, ""))

    def ws(self, pos: int) -> int:
        match = _WS.match(self.text, pos)
        return match.end() if match else pos

    def key(self, frame: list[Any], pos: int) -> int:
        """Read ``"key" :`` at ``pos`` into ``frame``; return the position of the value."""
        text = self.text
        if text.startswith('"', pos):
            key, end = scanstring(text, pos + 1, True)
        else:
            raise self.fail("expected a double-quoted key", pos)
        node: MapNode = frame[0]
        key_loc = self.loc(pos, node.loc.pointer + "/" + escape_pointer_part(key))
        if key in node:
            first = node.key_locs[key]
            self.errors.append(
                SpecError(
                    f"duplicate key {key!r} (first defined at line {first.line}:{first.column})",
                    key_loc,
                    hint="mapping keys must be unique; other tools would silently keep only one",
                )
            )
        if key == "$ref":
            self.out.has_refs = True
        end = self.ws(end)
        if not text.startswith(":", end):
            raise self.fail("expected ':' after the key", end)
        frame[1], frame[2] = key, key_loc
        return self.ws(end + 1)

    def parse(self) -> Parsed:
        text = self.text
        pos = self.ws(0)
        stack: list[list[Any]] = []  # [node, pending key, key loc]
        want_value = True
        root: Any = None
        count = 0
        while True:
            if want_value:
                count += 1
                if count > self.max_nodes:
                    raise LimitError(
                        f"the document has more than {self.max_nodes:,} nodes", self.loc(pos, "")
                    )
                parent = stack[-1] if stack else None
                pointer = ""
                if parent is not None:
                    node = parent[0]
                    pointer = (
                        node.loc.pointer
                        + "/"
                        + (escape_pointer_part(parent[1]) if parent[1] is not None else str(len(node)))
                    )
                char = text[pos : pos + 1]
                value: Any
                opened = False
                if char in ("{", "["):
                    if len(stack) >= self.max_depth:
                        raise LimitError(
                            f"nesting deeper than {self.max_depth} levels",
                            self.loc(pos, ""),
                            hint="the document is too deeply nested to be a spec",
                        )
                    value = (
                        MapNode(loc=self.loc(pos, pointer))
                        if char == "{"
                        else SeqNode(loc=self.loc(pos, pointer))
                    )
                    self.out.containers.append(value)
                    opened = True
                    end = pos + 1
                elif char == '"':
                    value, end = scanstring(text, pos + 1, True)
                elif (match := _NUMBER.match(text, pos)) is not None:
                    number = match.group()
                    value = float(number) if match.group(1) or match.group(2) else int(number)
                    end = match.end()
                else:
                    for word, literal in _LITERALS.items():
                        if text.startswith(word, pos):
                            value, end = literal, pos + len(word)
                            break
                    else:
                        raise self.fail("expected a value", pos)
                if parent is None:
                    root = value
                elif parent[1] is not None:
                    parent[0][parent[1]] = value
                    parent[0].key_locs[parent[1]] = parent[2]
                    parent[1] = None
                else:
                    parent[0].item_locs.append(self.loc(pos, pointer))
                    parent[0].append(value)
                pos = self.ws(end)
                if opened:
                    stack.append([value, None, None])
                    close = "}" if char == "{" else "]"
                    if text.startswith(close, pos):
                        pos = self.ws(pos + 1)
                        stack.pop()
                        want_value = False
                    elif char == "{":
                        pos = self.key(stack[-1], pos)
                    continue
                want_value = False
                continue
            if not stack:
                if pos != len(text):
                    raise self.fail("extra data after the top-level value", pos)
                self.out.root = root
                return self.out
            frame = stack[-1]
            is_map = type(frame[0]) is MapNode
            char = text[pos : pos + 1]
            if char == ",":
                pos = self.ws(pos + 1)
                if is_map:
                    pos = self.key(frame, pos)
                want_value = True
            elif char == ("}" if is_map else "]"):
                stack.pop()
                pos = self.ws(pos + 1)
            else:
                raise self.fail(f"expected ',' or '{'}' if is_map else ']'}'", pos)


def parse_json(text: str, file: str, *, max_depth: int, max_nodes: int) -> Parsed:
    """Parse strict JSON ``text``; raises SpecError/SpecErrors with locations."""
    parser = _Parser(text, file, max_depth, max_nodes)
    try:
        out = parser.parse()
    except JSONDecodeError as err:
        raise parser.fail(err.msg, err.pos) from None
    if parser.errors:
        raise parser.errors[0] if len(parser.errors) == 1 else SpecErrors(parser.errors)
    return out
