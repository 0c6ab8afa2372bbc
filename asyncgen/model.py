"""The intermediate representation (IR): what every spec family is parsed into.

Frozen dataclasses; templates see only these, never raw spec dicts. Parsers
(``asyncgen/parse/*``) build them; nothing downstream mutates them.

Conventions
* ``key`` is the spec's own id for the element (channel id, operation id, message
  key); ``ident`` is a unique, safe Python identifier (snake_case) derived from it,
  and ``class_name`` a unique, safe PascalCase name - both resolved
  deterministically by ``asyncgen/naming.py`` when the parser builds the IR.
* ``action`` is always from the point of view of the application the spec
  describes: ``send`` (it publishes) or ``receive`` (it subscribes). AsyncAPI 2.x
  ``publish`` => ``receive``, ``subscribe`` => ``send``.
* Schemas are JSON Schema (2020-12 vocabulary) as JSON-compatible dicts. Every
  schema that gets a model class is a :class:`SchemaDef` in ``Api.schemas``; a
  SchemaDef's ``schema`` refers to other defs as ``{"$ref": "#/$defs/<Name>"}``.
  Avro / Protobuf / OpenAPI-3.0 schemas are converted to JSON Schema by the parser;
  ``original`` keeps the schema as written (fastavro needs the Avro record).
* Mappings inside the IR are treated as immutable; never mutate them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from asyncgen.errors import Location

Action = Literal["send", "receive"]
Family = Literal["asyncapi", "openapi"]

NOWHERE = Location("<memory>")


@dataclass(frozen=True)
class SchemaDef:
    """A schema that becomes one model class in ``models.py``."""

    name: str  # PascalCase class name, unique within the Api
    schema: Mapping[str, Any]  # JSON Schema; refs to other defs as "#/$defs/<name>"
    #: "jsonschema" | "avro" | "protobuf" | "openapi" | "raml" ...
    source_format: str = "jsonschema"
    #: as written in the spec (e.g. the Avro record), JSON-compatible; None if same as schema
    original: Any = None
    #: the schemaFormat string as written, if any
    schema_format: str | None = None
    location: Location = NOWHERE
    description: str | None = None


@dataclass(frozen=True)
class ServerVariable:
    name: str
    default: str | None = None
    enum: tuple[str, ...] = ()
    description: str | None = None
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Server:
    key: str
    ident: str
    #: lower-cased: "kafka", "kafka-secure", "amqp", "mqtt", "nats", "redis", "ws", "wss", "http", ...
    protocol: str
    protocol_version: str | None = None
    host: str = ""  # 3.x host (may contain {variables}); 2.x: host[:port] derived from url
    pathname: str | None = None
    #: full URL as the spec writes it (2.x ``url``; 3.x protocol://host/pathname)
    url: str = ""
    variables: tuple[ServerVariable, ...] = ()
    description: str | None = None
    title: str | None = None
    #: names of security schemes required (any of), as written
    security: tuple[str, ...] = ()
    bindings: Mapping[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    location: Location = NOWHERE


@dataclass(frozen=True)
class Parameter:
    """A channel address parameter, e.g. ``streetlightId`` in ``lights/{streetlightId}``."""

    name: str  # as in the address
    ident: str
    description: str | None = None
    enum: tuple[str, ...] = ()
    default: str | None = None
    pattern: str | None = None  # from 2.x parameter schema; 3.x has none
    examples: tuple[str, ...] = ()
    #: runtime expression, e.g. "$message.payload#/user/id"
    location_expr: str | None = None
    schema: Mapping[str, Any] = field(default_factory=dict)
    location: Location = NOWHERE


@dataclass(frozen=True)
class CorrelationId:
    location_expr: str  # e.g. "$message.header#/correlationId"
    description: str | None = None

    @cached_property
    def source(self) -> Literal["header", "payload"]:
        return "header" if self.location_expr.startswith("$message.header") else "payload"

    @cached_property
    def path(self) -> tuple[str, ...]:
        """JSON-pointer parts after the ``#``: ``("correlationId",)``."""
        _, _, frag = self.location_expr.partition("#")
        parts = [p for p in frag.split("/") if p]
        return tuple(p.replace("~1", "/").replace("~0", "~") for p in parts)


@dataclass(frozen=True)
class MessageExample:
    name: str | None = None
    summary: str | None = None
    payload: Any = None
    headers: Mapping[str, Any] | None = None
    has_payload: bool = False


@dataclass(frozen=True)
class Message:
    key: str  # component/channel message key (3.x) or name/derived key (2.x)
    ident: str
    class_name: str  # for wrappers/dispatch; payload model is ``payload.name``
    name: str | None = None  # the message's ``name`` field (a machine-friendly name)
    title: str | None = None
    summary: str | None = None
    description: str | None = None
    content_type: str = "application/json"
    schema_format: str | None = None
    payload: SchemaDef | None = None
    headers: SchemaDef | None = None
    correlation_id: CorrelationId | None = None
    examples: tuple[MessageExample, ...] = ()
    bindings: Mapping[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    #: "x-event-type" or similar hint for dispatch; the message name otherwise
    event_type: str = ""
    location: Location = NOWHERE
    #: the element's ``x-`` specification extensions as written (plain JSON), e.g. ``x-asyncgen-channel``
    extensions: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Channel:
    key: str  # channel id (3.x) / the channel name (2.x, also the address)
    ident: str
    #: address template with ``{param}`` placeholders; None = dynamic/unknown (3.x null address)
    address: str | None
    parameters: tuple[Parameter, ...] = ()
    messages: tuple[Message, ...] = ()
    #: server keys this channel is available on; empty = all
    servers: tuple[str, ...] = ()
    title: str | None = None
    summary: str | None = None
    description: str | None = None
    bindings: Mapping[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    location: Location = NOWHERE
    #: the element's ``x-`` specification extensions as written (plain JSON), e.g. ``x-asyncgen-channel``
    extensions: Mapping[str, Any] = field(default_factory=dict)

    @cached_property
    def is_parameterised(self) -> bool:
        return bool(self.parameters)


@dataclass(frozen=True)
class Reply:
    """Where the answer to a request goes (AsyncAPI 3 ``reply``; 2.x correlation-id RPC)."""

    channel: Channel | None = None
    #: runtime expression of a dynamic reply address, e.g. "$message.header#/replyTo"
    address_expr: str | None = None
    messages: tuple[Message, ...] = ()
    description: str | None = None


@dataclass(frozen=True)
class Operation:
    key: str  # operation id
    ident: str
    action: Action
    channel: Channel
    #: the messages this operation sends/receives (subset of channel.messages, spec order)
    messages: tuple[Message, ...] = ()
    title: str | None = None
    summary: str | None = None
    description: str | None = None
    reply: Reply | None = None
    bindings: Mapping[str, Any] = field(default_factory=dict)
    security: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    location: Location = NOWHERE
    #: the element's ``x-`` specification extensions as written (plain JSON), e.g. ``x-asyncgen-channel``
    extensions: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HttpParameter:
    name: str
    ident: str
    location: Literal["path", "query", "header", "cookie"]
    required: bool = False
    schema: Mapping[str, Any] = field(default_factory=dict)
    description: str | None = None


@dataclass(frozen=True)
class HttpBody:
    content_type: str
    schema: SchemaDef | None = None
    required: bool = False
    description: str | None = None
    #: the media type's ``example`` and ``examples.*.value`` as written (plain JSON)
    examples: tuple[Any, ...] = ()


@dataclass(frozen=True)
class HttpResponse:
    status: str  # "200", "2XX", "default"
    description: str | None = None
    bodies: tuple[HttpBody, ...] = ()


@dataclass(frozen=True)
class HttpOperation:
    key: str  # operationId, or derived "<method>_<path>"
    ident: str
    method: str  # lower case
    path: str  # "/orders/{orderId}" (or a runtime expression for callbacks)
    summary: str | None = None
    description: str | None = None
    parameters: tuple[HttpParameter, ...] = ()
    request_body: HttpBody | None = None
    responses: tuple[HttpResponse, ...] = ()
    callbacks: tuple[Callback, ...] = ()
    security: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    location: Location = NOWHERE
    #: the element's ``x-`` specification extensions as written (plain JSON), e.g. ``x-asyncgen-channel``
    extensions: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Callback:
    """An OpenAPI operation callback: ``name`` -> runtime expression -> operations."""

    name: str
    ident: str
    expression: str  # e.g. "{$request.body#/callbackUrl}"
    operations: tuple[HttpOperation, ...] = ()
    location: Location = NOWHERE
    #: the element's ``x-`` specification extensions as written (plain JSON), e.g. ``x-asyncgen-channel``
    extensions: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Webhook:
    """An OpenAPI 3.1 top-level webhook."""

    name: str
    ident: str
    operations: tuple[HttpOperation, ...] = ()
    location: Location = NOWHERE
    #: the element's ``x-`` specification extensions as written (plain JSON), e.g. ``x-asyncgen-channel``
    extensions: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SecurityScheme:
    key: str
    type: str
    description: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Api:
    family: Family
    spec_version: str  # "2.6.0", "3.0.0", "3.1.0"
    title: str
    version: str  # info.version
    package: str  # default Python package name (snake_case ident of the title)
    description: str | None = None
    default_content_type: str = "application/json"
    servers: tuple[Server, ...] = ()
    channels: tuple[Channel, ...] = ()
    operations: tuple[Operation, ...] = ()
    http_operations: tuple[HttpOperation, ...] = ()
    webhooks: tuple[Webhook, ...] = ()
    schemas: tuple[SchemaDef, ...] = ()
    security_schemes: tuple[SecurityScheme, ...] = ()
    #: every file that contributed (root first), as display paths
    source_files: tuple[str, ...] = ()
    #: the root spec file's display path
    source: str = ""
    tags: tuple[str, ...] = ()
    extensions: Mapping[str, Any] = field(default_factory=dict)

    @cached_property
    def messages(self) -> tuple[Message, ...]:
        """Every distinct message (by key), in first-seen order over channels then replies."""
        seen: dict[str, Message] = {}
        for channel in self.channels:
            for message in channel.messages:
                seen.setdefault(message.key, message)
        for op in self.operations:
            for message in op.messages:
                seen.setdefault(message.key, message)
        return tuple(seen.values())

    @cached_property
    def sends(self) -> tuple[Operation, ...]:
        return tuple(op for op in self.operations if op.action == "send")

    @cached_property
    def receives(self) -> tuple[Operation, ...]:
        return tuple(op for op in self.operations if op.action == "receive")

    @cached_property
    def protocols(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.protocol for s in self.servers))

    def server(self, key: str) -> Server:
        for server in self.servers:
            if server.key == key:
                return server
        raise KeyError(key)

    @cached_property
    def callbacks(self) -> tuple[Callback, ...]:
        return tuple(cb for op in self.http_operations for cb in op.callbacks)


class _Factory:
    """The default of a field with a default factory (shown like dataclasses' own)."""

    def __repr__(self) -> str:
        return "<factory>"


def _quick_init(cls: type) -> None:
    """Give the frozen dataclass ``cls`` an ``__init__`` that fills ``__dict__`` directly.

    The generated one calls ``object.__setattr__`` per field (frozen), twice as slow; a
    1,000-channel spec builds thousands of these per run. Same signature, defaults and
    default factories; fields, equality, hashing, repr and frozenness are untouched.
    """
    from dataclasses import MISSING, fields

    names = [f.name for f in fields(cls)]
    if "__post_init__" in vars(cls) or any(not f.init or f.kw_only for f in fields(cls)):  # pragma: no cover
        raise TypeError(f"{cls.__name__}: _quick_init handles plain fields only")
    env: dict[str, Any] = {"_FACTORY": _Factory()}
    params, body = [], []
    for f in fields(cls):
        if f.default is not MISSING:
            env[f"_d_{f.name}"] = f.default
            params.append(f"{f.name}=_d_{f.name}")
            body.append(f"    _v[{f.name!r}] = {f.name}")
        elif f.default_factory is not MISSING:
            env[f"_f_{f.name}"] = f.default_factory
            params.append(f"{f.name}=_FACTORY")
            body.append(f"    _v[{f.name!r}] = _f_{f.name}() if {f.name} is _FACTORY else {f.name}")
        else:
            params.append(f.name)
            body.append(f"    _v[{f.name!r}] = {f.name}")
    assert "self" not in names and "_v" not in names
    source = f"def __init__(self, {', '.join(params)}):\n    _v = self.__dict__\n" + "\n".join(body) + "\n"
    exec(source, env)  # our own field names, checked above
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    cls.__init__ = init  # type: ignore[misc]


for _cls in (
    SchemaDef, ServerVariable, Server, Parameter, CorrelationId, MessageExample, Message, Channel, Reply,
    Operation, HttpParameter, HttpBody, HttpResponse, HttpOperation, Callback, Webhook, SecurityScheme, Api,
):  # fmt: skip
    _quick_init(_cls)
del _cls
