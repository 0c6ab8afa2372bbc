"""View objects of the portal: the IR turned into ready-to-print data for ``templates/docs``.

Templates stay nearly logic-free: every id, href, sentence and table row is computed
here. Everything is ordered as the spec orders it, so the same input gives the same
bytes. Spec text is never marked safe here: the set autoescapes, so a description
containing ``<script>`` is printed as text.

Ids (deep links) are stable: ``channel-<key>``, ``message-<key>``, ``op-<key>``,
``schema-<Name>``, ``server-<key>``, ``http-<key>``, slugged to ``[A-Za-z0-9_-]`` and
made unique per page in spec order (``-2``, ``-3`` ... on a clash).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from asyncgen.docs.schema_table import Row, SchemaTable, TableBuilder, jtext, ref_name
from asyncgen.examples import example_for, synthesise, valid
from asyncgen.model import (
    Api,
    Channel,
    HttpOperation,
    Message,
    Operation,
    SchemaDef,
)

_FORMAT_NAMES = {
    "avro": "Avro",
    "protobuf": "Protobuf",
    "openapi": "OpenAPI schema object",
    "raml": "RAML data type",
}


def slug(text: str) -> str:
    out = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")
    return out or "x"


class Ids:
    """Unique, stable HTML ids for one page, allocated in spec order."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, raw: str) -> str:
        base = slug(raw)
        candidate, n = base, 1
        while candidate in self.used:
            n += 1
            candidate = f"{base}-{n}"
        self.used.add(candidate)
        return candidate


@dataclass
class Link:
    label: str
    href: str
    note: str = ""


@dataclass
class Pair:
    """A labelled JSON block (bindings, security details)."""

    label: str
    text: str


def pretty(value: Any) -> str:
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def pairs(mapping: Mapping[str, Any] | None) -> list[Pair]:
    return [Pair(str(k), pretty(v)) for k, v in (mapping or {}).items()]


@dataclass
class TreeNode:
    label: str
    children: list[TreeNode] = field(default_factory=list)
    channels: list[Link] = field(default_factory=list)
    count: int = 0


@dataclass
class ServerView:
    id: str
    key: str
    url: str
    protocol: str
    protocol_version: str | None
    title: str | None
    description: str | None
    variables: list[Any]
    security: list[str]
    bindings: list[Pair]
    tags: list[str]


@dataclass
class ParamView:
    name: str
    description: str | None
    enum: list[str]
    default: str | None
    pattern: str | None
    examples: list[str]
    location_expr: str | None


@dataclass
class ExampleView:
    label: str
    payload: str | None
    headers: str | None
    synthesised: bool = False

    @property
    def long(self) -> bool:
        """Over 60 lines: shown folded."""
        return sum((t or "").count("\n") for t in (self.payload, self.headers)) > 60


@dataclass
class MessageView:
    id: str
    key: str
    message: Message
    title: str
    payload: SchemaTable | None = None
    headers: SchemaTable | None = None
    format_note: str | None = None
    examples: list[ExampleView] = field(default_factory=list)
    bindings: list[Pair] = field(default_factory=list)
    channels: list[Link] = field(default_factory=list)
    operations: list[Link] = field(default_factory=list)
    payload_link: Link | None = None
    headers_link: Link | None = None


@dataclass
class ReplyView:
    channel: Link | None
    address_expr: str | None
    messages: list[Link]
    description: str | None


@dataclass
class OperationView:
    id: str
    key: str
    op: Operation
    action: str
    sentence: str  # "This application publishes OrderCreated to erp.order.created"
    channel: Link
    messages: list[Link]
    reply: ReplyView | None
    bindings: list[Pair]
    http: list[Link] = field(default_factory=list)


@dataclass
class ChannelView:
    id: str
    key: str
    channel: Channel
    address: str
    parameters: list[ParamView]
    servers: list[Link]
    messages: list[Link]
    operations: list[Link]
    bindings: list[Pair]
    http: list[Link] = field(default_factory=list)


@dataclass
class BodyView:
    content_type: str
    table: SchemaTable | None
    schema_link: Link | None
    description: str | None
    required: bool = False
    example: str | None = None


@dataclass
class ResponseView:
    status: str
    description: str | None
    bodies: list[BodyView]


@dataclass
class HttpParamView:
    name: str
    location: str
    required: bool
    type: str
    description: str | None


@dataclass
class HttpOpView:
    id: str
    key: str
    op: HttpOperation
    method: str
    path: str
    parameters: list[HttpParamView]
    request: BodyView | None
    responses: list[ResponseView]
    callbacks: list[CallbackView] = field(default_factory=list)
    security: list[str] = field(default_factory=list)
    channels: list[Link] = field(default_factory=list)  # the channels that feed it
    kind: str = "operation"  # "operation" | "callback" | "webhook"
    extension_channels: list[str] = field(default_factory=list)
    body_fingerprint: str | None = None


@dataclass
class CallbackView:
    id: str
    name: str
    expression: str
    operations: list[HttpOpView]


@dataclass
class WebhookView:
    id: str
    name: str
    operations: list[HttpOpView]


@dataclass
class SchemaSection:
    id: str
    name: str
    schema_def: SchemaDef
    table: SchemaTable
    format_note: str | None


@dataclass
class SecurityView:
    id: str
    key: str
    type: str
    description: str | None
    details: list[Pair]


def format_note(sd: SchemaDef | None, schema_format: str | None = None) -> str | None:
    if sd is None or sd.source_format in ("jsonschema", "asyncapi"):
        return None
    name = _FORMAT_NAMES.get(sd.source_format, sd.source_format)
    written = sd.schema_format or schema_format
    where = f" ({written})" if written else ""
    return f"{name} schema{where}, shown as its converted JSON Schema"


def def_closure(schema: Any, defs: Mapping[str, Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """The defs ``schema`` reaches through ``$ref`` (transitively)."""
    out: dict[str, Mapping[str, Any]] = {}
    todo = [schema]
    while todo:
        node = todo.pop()
        if isinstance(node, Mapping):
            name = ref_name(node)
            if name is not None and name not in out and name in defs:
                out[name] = defs[name]
                todo.append(defs[name])
            todo.extend(v for k, v in node.items() if k not in ("enum", "const", "examples", "default"))
        elif isinstance(node, list):
            todo.extend(node)
    return out


_ANNOTATIONS = ("title", "description", "examples", "example", "$comment")


def fingerprint(schema: Any, defs: Mapping[str, Mapping[str, Any]]) -> str:
    """A structural key of a schema: refs inlined (cycles by name), annotations dropped."""

    def norm(node: Any, stack: tuple[str, ...]) -> Any:
        if isinstance(node, Mapping):
            name = ref_name(node)
            if name is not None:
                if name in stack or name not in defs or len(stack) > 20:
                    return {"$rec": name}
                return norm(defs[name], (*stack, name))
            return {
                str(k): norm(v, stack)
                for k, v in node.items()
                if k not in _ANNOTATIONS and not str(k).startswith("x-")
            }
        if isinstance(node, list):
            return [norm(v, stack) for v in node]
        return node

    return json.dumps(norm(schema, ()), sort_keys=True, ensure_ascii=False, default=str)


def referenced_defs(api: Api) -> set[str]:
    """Names of defs that some schema refers to by ``$ref`` (they get a section of their own)."""
    found: set[str] = set()
    for sd in api.schemas:
        text = json.dumps(sd.schema, default=str)
        found.update(
            m.replace("~1", "/").replace("~0", "~") for m in re.findall(r'"\$ref": "#/\$defs/([^"]*)"', text)
        )
    return found


def tree_of(channels: Iterable[tuple[str, Link]]) -> TreeNode:
    """Channels by address segments (split on ``/`` and ``.``)."""
    root = TreeNode("")
    for address, link in channels:
        parts = [p for p in re.split(r"[/.]", address) if p] or [address or "(root)"]
        node = root
        node.count += 1
        for part in parts:
            child = next((c for c in node.children if c.label == part), None)
            if child is None:
                child = TreeNode(part)
                node.children.append(child)
            node = child
            node.count += 1
        node.channels.append(link)
    return root


def role_sentence(action: str, messages: list[str], address: str, family: str = "asyncapi") -> str:
    what = ", ".join(messages) if messages else "messages"
    if action == "send":
        return f"This application publishes {what} to {address}"
    return f"This application subscribes to {address} and receives {what}"


def body_example(sd: SchemaDef | None, defs: Mapping[str, Mapping[str, Any]]) -> str | None:
    if sd is None:
        return None
    closure = def_closure(sd.schema, defs)
    value = synthesise(dict(sd.schema), closure)
    if valid(value, dict(sd.schema), closure):
        return pretty(value)
    return None


__all__ = [
    "BodyView",
    "CallbackView",
    "ChannelView",
    "ExampleView",
    "HttpOpView",
    "HttpParamView",
    "Ids",
    "Link",
    "MessageView",
    "OperationView",
    "Pair",
    "ParamView",
    "ReplyView",
    "ResponseView",
    "Row",
    "SchemaSection",
    "SecurityView",
    "ServerView",
    "TableBuilder",
    "TreeNode",
    "WebhookView",
    "body_example",
    "def_closure",
    "example_for",
    "fingerprint",
    "format_note",
    "jtext",
    "pairs",
    "pretty",
    "referenced_defs",
    "role_sentence",
    "slug",
    "tree_of",
]
