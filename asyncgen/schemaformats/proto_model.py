"""A .proto text parsed (by proto-schema-parser) and indexed: messages, enums, fields, scopes.

proto-schema-parser only builds a syntax tree; this module flattens it into full
names (``pkg.Outer.Inner``), attaches comments, and resolves type names by protobuf's
scoping rules. The google/type messages are indexed from ``google_types.GOOGLE_TYPE_PROTO``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from antlr4.error.ErrorListener import ErrorListener  # type: ignore[import-untyped]
from proto_schema_parser import ast
from proto_schema_parser.parser import Parser

from asyncgen.schemaformats.google_types import GOOGLE_TYPE_PROTO, WELL_KNOWN


@dataclass
class ProtoField:
    name: str
    number: int
    type: str  # as written (scalar or a type name); for maps the value type
    cardinality: str | None  # "REQUIRED" | "OPTIONAL" | "REPEATED" | None
    json_name: str
    comment: str = ""
    key_type: str | None = None  # set for map<K, V>
    oneof: str | None = None
    default: Any = None
    has_default: bool = False
    deprecated: bool = False


@dataclass
class ProtoMessage:
    full: str
    relative: str  # path inside the package: "Outer.Inner"
    scope: str  # where its own field types are looked up: its full name
    fields: list[ProtoField] = field(default_factory=list)
    oneofs: dict[str, list[str]] = field(default_factory=dict)
    comment: str = ""
    builtin: bool = False


@dataclass
class ProtoEnum:
    full: str
    relative: str
    values: list[str] = field(default_factory=list)
    comment: str = ""


@dataclass
class ProtoFile:
    syntax: str
    package: str
    imports: list[str]
    messages: dict[str, ProtoMessage]
    enums: dict[str, ProtoEnum]


class _Collect(ErrorListener):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.errors: list[tuple[int, int, str]] = []

    def syntaxError(self, *args: Any) -> None:  # ANTLR: (recognizer, offending, line, column, msg, e)
        _recognizer, _offending, line, column, msg, _e = args
        self.errors.append((line, column, msg))


# ---------------------------------------------------------------------------- parsing


def parse_text(text: str) -> tuple[ast.File | None, list[tuple[int, int, str]]]:
    collector = _Collect()

    def quiet(recognizer: Any) -> None:
        recognizer.removeErrorListeners()
        recognizer.addErrorListener(collector)

    try:
        tree = Parser(setup_lexer=quiet, setup_parser=quiet).parse(text)
    except RecursionError:
        return None, [(1, 0, "nesting too deep")]
    except Exception as exc:  # the AST builder can trip over a tree ANTLR recovered badly
        if collector.errors:
            return None, collector.errors
        return None, [(1, 0, f"cannot build the syntax tree: {exc}")]
    return (None if collector.errors else tree), collector.errors


@functools.cache
def google_types() -> ProtoFile:
    tree, errors = parse_text(GOOGLE_TYPE_PROTO)
    if tree is None or errors:  # pragma: no cover - our own constant
        raise RuntimeError(f"bundled google/type definitions do not parse: {errors}")
    return index_file(tree, builtin=True)


def _comment_text(comments: Sequence[ast.Comment]) -> str:
    lines = []
    for comment in comments:
        text = comment.text.strip()
        if text.startswith("//"):
            lines.append(text[2:].strip())
        else:
            body = text.removeprefix("/*").removesuffix("*/")
            lines.extend(line.strip().lstrip("*").strip() for line in body.splitlines())
    return "\n".join(line for line in lines).strip()


def _with_comments(elements: Sequence[Any]) -> Iterator[tuple[Any, str]]:
    """Each non-comment element with its comments: the block before it and an inline one after."""
    pending: list[ast.Comment] = []
    for index, element in enumerate(elements):
        if isinstance(element, ast.Comment):
            if not element.inline:
                pending.append(element)
            continue
        trailing = elements[index + 1] if index + 1 < len(elements) else None
        comments = list(pending)
        if isinstance(trailing, ast.Comment) and trailing.inline:
            comments.append(trailing)
        yield element, _comment_text(comments)
        pending = []


def json_name(name: str) -> str:
    """protoc's ToJsonName: drop underscores, upper-case the letter after each."""
    out, upper = [], False
    for char in name:
        if char == "_":
            upper = True
        elif upper:
            out.append(char.upper())
            upper = False
        else:
            out.append(char)
    return "".join(out)


def _option(options: Sequence[ast.Option], name: str) -> Any:
    for option in options:
        if option.name == name:
            return option.value
    return None


def index_file(tree: ast.File, *, builtin: bool = False) -> ProtoFile:
    package = next((e.name for e in tree.file_elements if isinstance(e, ast.Package)), "")
    proto = ProtoFile(
        syntax=tree.syntax or "proto2",
        package=package,
        imports=[e.name for e in tree.file_elements if isinstance(e, ast.Import)],
        messages={},
        enums={},
    )
    for element, comment in _with_comments(tree.file_elements):
        _index_element(proto, element, comment, scope=package, relative="", builtin=builtin)
    return proto


def _index_element(
    proto: ProtoFile, element: Any, comment: str, *, scope: str, relative: str, builtin: bool
) -> None:
    if isinstance(element, ast.Message):
        _index_message(
            proto, element.name, element.elements, comment, scope=scope, relative=relative, builtin=builtin
        )
    elif isinstance(element, ast.Enum):
        rel = f"{relative}.{element.name}" if relative else element.name
        values = [v.name for v in element.elements if isinstance(v, ast.EnumValue)]
        proto.enums[_join(scope, element.name)] = ProtoEnum(_join(scope, element.name), rel, values, comment)


def _index_message(
    proto: ProtoFile,
    name: str,
    elements: Sequence[Any],
    comment: str,
    *,
    scope: str,
    relative: str,
    builtin: bool,
) -> ProtoMessage:
    full = _join(scope, name)
    rel = f"{relative}.{name}" if relative else name
    message = ProtoMessage(full=full, relative=rel, scope=full, comment=comment, builtin=builtin)
    proto.messages[full] = message
    for element, text in _with_comments(elements):
        if isinstance(element, ast.Field | ast.MapField | ast.Group):
            message.fields.append(_make_field(proto, message, element, text, oneof=None, builtin=builtin))
        elif isinstance(element, ast.OneOf):
            members = message.oneofs.setdefault(element.name, [])
            for member, member_text in _with_comments(element.elements):
                if isinstance(member, ast.Field | ast.Group):
                    made = _make_field(
                        proto, message, member, member_text, oneof=element.name, builtin=builtin
                    )
                    message.fields.append(made)
                    members.append(made.name)
        else:
            _index_element(proto, element, text, scope=full, relative=rel, builtin=builtin)
    return message


def _make_field(
    proto: ProtoFile, message: ProtoMessage, element: Any, comment: str, *, oneof: str | None, builtin: bool
) -> ProtoField:
    options: list[ast.Option] = list(getattr(element, "options", []))
    if isinstance(element, ast.Group):  # proto2 group: a nested message and a field of that type
        group = _index_message(
            proto,
            element.name,
            element.elements,
            comment,
            scope=message.full,
            relative=message.relative,
            builtin=builtin,
        )
        type_name, name = group.full, element.name.lower()
        cardinality = element.cardinality.value if element.cardinality else None
    elif isinstance(element, ast.MapField):
        type_name, name, cardinality = element.value_type, element.name, None
    else:
        type_name, name = element.type, element.name
        cardinality = element.cardinality.value if element.cardinality else None
    custom = _option(options, "json_name")
    made = ProtoField(
        name=name,
        number=element.number,
        type=type_name,
        cardinality=cardinality,
        json_name=custom if isinstance(custom, str) else json_name(name),
        comment=comment,
        key_type=element.key_type if isinstance(element, ast.MapField) else None,
        oneof=oneof,
        deprecated=_option(options, "deprecated") is True,
    )
    for option in options:
        if option.name == "default":
            made.default, made.has_default = option.value, True
    return made


def _join(scope: str, name: str) -> str:
    return f"{scope}.{name}" if scope else name


# ---------------------------------------------------------------------- resolving


class Resolver:
    def __init__(self, proto: ProtoFile) -> None:
        google = google_types()
        self.proto = proto
        self.messages = {**google.messages, **proto.messages}
        self.enums = {**google.enums, **proto.enums}

    def resolve(self, type_name: str, scope: str) -> str | None:
        """Full name of a message/enum/well-known type, by protobuf's scoping rules."""
        if type_name.startswith("."):
            name = type_name[1:]
            return name if self._known(name) else None
        parts = scope.split(".") if scope else []
        for depth in range(len(parts), -1, -1):
            candidate = ".".join([*parts[:depth], type_name])
            if self._known(candidate):
                return candidate
        return None

    def _known(self, name: str) -> bool:
        return name in self.messages or name in self.enums or name in WELL_KNOWN
