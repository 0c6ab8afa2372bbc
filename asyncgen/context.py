"""The service template set's context: the IR turned into ready-to-print views.

The engine calls :func:`build_context` and adds ``api``, ``pkg``, ``params``,
``role``, ``models`` and ``asyncgen_version`` to what it returns. Templates stay
nearly logic-free: every name, type expression and decorator argument they print
is a property of a view here.

Safety: spec strings inside the code fragments built here (addresses, queue names,
binding values) are always written with :func:`lit` (``repr``), the same thing the
``py_literal`` filter does; names come from the IR's already-safe idents.

``role="client"`` mirrors the application: what the app receives, the client
sends, and the other way round; an app's receive-with-reply becomes the client's
``request_...()``. An app's send operation on the reply-to channel of one of its
receive operations (a dynamic reply address, e.g. the 2.x RPC pattern) is left out of
the client: that ``request_...()`` already waits for its messages, and a subscriber
cannot name a queue that only exists per request.

The other side of that pattern, a receive operation on an AMQP queue whose name is only
known at run time, gets no subscriber: it is the reply queue of the correlated send
operations, which become ``request_...()`` (``asyncgen/reply_queue.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from asyncgen import brokers
from asyncgen.brokers import BrokerProfile
from asyncgen.errors import GenerationError
from asyncgen.examples import example_for, headers_example, invalid_field_for
from asyncgen.model import Api, Channel, Message, Operation, Parameter, Server
from asyncgen.relaycontext import build_relay
from asyncgen.reply_queue import reply_queue_pairs, role_action
from asyncgen.service_modules import Names, groups, imports, test_uses

JSON_TYPES = ("application/json", "text/json")
#: the content type of an Avro payload whose message declares none (or a JSON one)
AVRO_CONTENT_TYPE = "application/vnd.apache.avro+binary"


class ModelsModule(Protocol):
    code: str

    def class_name(self, schema_def_name: str) -> str: ...


def lit(value: Any) -> str:
    """A Python literal for a JSON-like value (what ``py_literal`` does)."""
    return repr(value)


def pascal(text: str) -> str:
    parts = re.split(r"[^0-9a-zA-Z]+|_", text)
    out = "".join(p[:1].upper() + p[1:] for p in parts if p)
    if not out or out[0].isdigit():
        out = "X" + out
    return out


def _is_json(content_type: str) -> bool:
    base = content_type.split(";", 1)[0].strip().lower()
    return base in JSON_TYPES or base.endswith("+json") or not base


@dataclass
class ParamView:
    param: Parameter
    ident: str
    #: what a value must match entirely, and may never contain (from the transport)
    value_regex: str = ".+"
    forbidden: str = ""

    @property
    def name(self) -> str:
        return self.param.name

    @property
    def enum(self) -> tuple[str, ...]:
        return tuple(str(v) for v in self.param.enum)

    @cached_property
    def pattern(self) -> str | None:
        """The parameter's pattern when Python's ``re`` accepts it (else not enforced)."""
        try:
            return re.compile(self.param.pattern).pattern if self.param.pattern else None
        except re.error:
            return None

    def valid(self, value: str) -> bool:
        """Whether the generated ``check_param`` accepts ``value``."""
        return (
            bool(value)
            and re.fullmatch(self.value_regex, value) is not None
            and not any(c in self.forbidden for c in value)
            and (not self.enum or value in self.enum)
            and (self.pattern is None or _search(self.pattern, value))
        )

    @cached_property
    def example(self) -> str | None:
        """A value the generated code accepts: the spec's default/examples/enum, else made up."""
        p = self.param
        literal = re.match(r"\^?((?:\\.|[\w-])*)", p.pattern or "")
        prefix = re.sub(r"\\(.)", r"\1", literal.group(1)) if literal else ""
        for value in (p.default, *p.examples, *p.enum, "example", prefix + "example", prefix + "1"):
            if isinstance(value, str) and self.valid(value):
                return value
        return None


def _search(pattern: str, value: str) -> bool:
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return False


@dataclass
class ChannelView:
    channel: Channel
    profile: BrokerProfile
    params: list[ParamView]
    #: ``UPPER_SNAKE`` constant holding the address template
    const: str
    #: ``XxxParams`` dataclass name (parameterised channels only)
    params_class: str
    spy_address: str = ""

    @property
    def ident(self) -> str:
        return self.channel.ident

    @cached_property
    def address(self) -> str:
        address = self.channel.address if self.channel.address is not None else self.channel.key
        if not self.profile.faststream and not address.startswith("/"):
            address = "/" + address  # a WebSocket address is a URL path
        return address

    @property
    def parameterised(self) -> bool:
        return bool(self.params)

    @cached_property
    def template(self) -> str:
        """The address with ``{ident}`` placeholders (FastStream ``Path`` names)."""
        return brokers.substitute(self.address, {p.name: "{" + p.ident + "}" for p in self.params})

    @cached_property
    def regex(self) -> str:
        """Anchored regex that parses an incoming address into named groups."""
        out, pos = "", 0
        by_name = {p.name: p for p in self.params}
        for match in brokers.PARAM_RE.finditer(self.address):
            out += re.escape(self.address[pos : match.start()])
            view = by_name.get(match.group(1))
            out += f"(?P<{view.ident}>{self.profile.param_regex})" if view else re.escape(match.group(0))
            pos = match.end()
        return "^" + out + re.escape(self.address[pos:]) + "$"

    @property
    def has_example(self) -> bool:
        """Whether every parameter has a valid example value (tests skip otherwise)."""
        return all(p.example is not None for p in self.params)

    @cached_property
    def example_args(self) -> str:
        return ", ".join(f"{p.ident}={lit(p.example or '')}" for p in self.params)

    @cached_property
    def example_address(self) -> str:
        return brokers.substitute(self.address, {p.name: p.example or "" for p in self.params})

    @property
    def address_expr(self) -> str:
        """Python expression of the concrete address inside a producer."""
        if self.params:
            return f"channels.{self.params_class}({self.call_args}).address"
        return f"channels.{self.const}"

    @property
    def params_expr(self) -> str:
        """Code (in a consumer) that extracts the parameters of ``message``."""
        if self.profile.key == "kafka":  # pattern subscriptions: parse the record's topic
            return f"runtime.params(channels.{self.params_class}.parse, runtime.topic(message))"
        return f"runtime.params(channels.{self.params_class}.from_path, message.path)"

    @property
    def call_args(self) -> str:
        return ", ".join(f"{p.ident}={p.ident}" for p in self.params)

    @property
    def signature(self) -> str:
        return "".join(f"{p.ident}: str, " for p in self.params)

    @property
    def description(self) -> str:
        c = self.channel
        return c.description or c.summary or c.title or ""


@dataclass(frozen=True)
class AvroSchemaView:
    """An Avro payload schema as ``avro_codec.py`` embeds it."""

    const: str
    model: str  # the model class in models.py
    original: Any  # the Avro schema as written (JSON-compatible)

    @property
    def text(self) -> str:
        """The schema as compact JSON text (what is registered with a schema registry)."""
        return json.dumps(self.original, separators=(",", ":"), ensure_ascii=False)


@dataclass
class MessageView:
    message: Message
    payload_class: str  # "Any"/"bytes" when untyped
    headers_class: str | None
    handler: str  # handler function name
    #: an example payload (JSON-compatible) or None when none could be made
    example: Any
    has_example: bool
    invalid: tuple[str, Any] | None  # (alias, wrong value) for the "refused" test
    json: bool
    #: valid headers as broker header strings (None: no headers schema / none found)
    headers_example: dict[str, str] | None = None
    #: an earlier receive operation on the same channel whose messages accept this example
    shadowed_by: str | None = None
    #: the payload's Avro schema constant in ``avro_codec.py`` (None: not an Avro payload)
    avro: str | None = None

    @property
    def ident(self) -> str:
        return self.message.ident

    @property
    def typed(self) -> bool:
        return self.payload_class not in ("Any", "bytes")

    @property
    def label(self) -> str:
        return self.message.name or self.message.key

    @property
    def avro_arg(self) -> str:
        """``, avro_codec.X`` for the generated tests' ``encoded()`` (empty for JSON payloads)."""
        return f", avro_codec.{self.avro}" if self.avro else ""

    @property
    def description(self) -> str:
        m = self.message
        return m.description or m.summary or m.title or ""


def _content_type_expr(messages: list[MessageView], payload: str = "payload") -> str:
    """The code of the content type a payload is sent with: its message's ``contentType`` (the
    spec's ``defaultContentType`` when it has none, application/json when neither says).

    Messages of one operation with different content types are told apart by payload class
    (the first message of a class wins, like the consumers' dispatch)."""
    types: dict[str, str] = {}
    for m in messages:
        if not m.avro:
            types.setdefault(m.payload_class, m.message.content_type)
    if not types:
        return lit("application/json")
    first = next(iter(types.values()))
    if len(set(types.values())) == 1 or not all(m.typed for m in messages if not m.avro):
        return lit(first)
    others = [(cls, ct) for cls, ct in types.items() if ct != first]
    return "".join(f"{lit(ct)} if isinstance({payload}, {cls}) else " for cls, ct in others) + lit(first)


def _decode_expr(messages: list[MessageView], adapter: str, body: str) -> str:
    """Code turning ``body`` into the validated payload: Avro readers when a message is Avro, JSON else."""
    readers = tuple(dict.fromkeys(m.avro for m in messages if m.avro))
    if not readers:
        return f"runtime.decode({adapter}, {body})"
    schemas = "".join(f"avro_codec.{r}, " for r in readers)
    return f"await avro_codec.decode({adapter}, {body}, ({schemas}))"


@dataclass
class OperationView:
    op: Operation
    action: str  # after role mirroring
    channel: ChannelView
    messages: list[MessageView]
    function: str  # producer/request function or subscriber function name
    reply_messages: list[MessageView] = field(default_factory=list)
    reply_static_address: str | None = None
    reply_header: str | None = None  # header holding the reply address
    reply_spy_args: str = ""  # a test subscriber on the static reply address
    subscriber_args: str = ""
    spy_args: str = ""
    publish_kwargs: str = ""
    dlq_address: str | None = None
    correlation_header: str | None = None
    correlation_field: tuple[str, ...] = ()  # payload path of the correlation id
    #: AMQP: receives from a queue whose name is only known at run time (a reply queue)
    dynamic_queue: bool = False
    #: a request whose reply arrives on that queue: the receive operation's view
    reply_queue: OperationView | None = None
    #: the reply queue's view: the request functions whose replies arrive on it
    replies_for: list[str] = field(default_factory=list)

    @property
    def ident(self) -> str:
        return self.op.ident

    @property
    def key(self) -> str:
        return self.op.key

    @property
    def has_reply(self) -> bool:
        return bool(self.reply_messages)

    @property
    def payload_type(self) -> str:
        return " | ".join(dict.fromkeys(m.payload_class for m in self.messages)) or "Any"

    @property
    def reply_type(self) -> str:
        return " | ".join(dict.fromkeys(m.payload_class for m in self.reply_messages)) or "Any"

    @property
    def headers_type(self) -> str | None:
        classes = [m.headers_class for m in self.messages if m.headers_class]
        return " | ".join(dict.fromkeys(classes)) if classes else None

    @property
    def sends_headers(self) -> bool:
        """Whether the producer has headers to send (the spec's, a correlation id or reply
        header, an Avro content-type) or to check (a headers schema); else it sends none."""
        return bool(
            self.headers_type or self.headers_model or self.correlation_header or self.has_reply or self.avro
        )

    @property
    def headers_model(self) -> str | None:
        """The one headers class every message of the operation has (None: none or several)."""
        classes = {m.headers_class for m in self.messages}
        return classes.pop() if len(classes) == 1 else None

    @property
    def dispatch(self) -> list[MessageView]:
        """Messages in dispatch order, one per payload class (first wins)."""
        seen: dict[str, MessageView] = {}
        for m in self.messages:
            seen.setdefault(m.payload_class, m)
        return list(seen.values())

    @property
    def reply_example(self) -> str | None:
        """Code building the first reply example (the default handlers answer with it)."""
        return self.reply_example_code()

    def reply_example_code(self, prefix: str = "") -> str | None:
        """:attr:`reply_example` with model classes qualified by ``prefix`` (``"models."``)."""
        for m in self.reply_messages:
            if m.has_example:
                if m.typed:
                    return f"{prefix}{m.payload_class}.model_validate({lit(m.example)})"
                return lit(m.example) if m.payload_class == "Any" else None
        return None

    @property
    def reply_example_value(self) -> Any:
        return next((m.example for m in self.reply_messages if m.has_example), None)

    @property
    def avro(self) -> bool:
        """Whether a message of this operation has an Avro payload (see ``avro_codec.py``)."""
        return any(m.avro for m in self.messages)

    @property
    def encode_expr(self) -> str:
        """The producer's code turning ``payload`` into the bytes to send to ``address``
        (JSON and other non-Avro bodies carry their content type: ``runtime.Body``)."""
        if self.avro:
            return "await avro_codec.encode(payload, address)"
        return f"runtime.Body(runtime.encode_any(payload), {_content_type_expr(self.messages)})"

    @property
    def reply_content_type(self) -> str:
        """The code of the content type a consumer's (non-Avro) reply is sent with."""
        return _content_type_expr(self.reply_messages, "result")

    @property
    def decode_expr(self) -> str:
        """The consumer's code turning ``message.body`` into the validated payload."""
        return _decode_expr(self.messages, self.adapter, "message.body")

    @property
    def reply_avro(self) -> bool:
        """Whether a reply message of this operation has an Avro payload."""
        return any(m.avro for m in self.reply_messages)

    @property
    def reply_decode_expr(self) -> str:
        """The requester's code turning ``response.body`` into the validated reply."""
        return _decode_expr(self.reply_messages, self.reply_adapter, "response.body")

    @property
    def reply_example_avro(self) -> str | None:
        """The Avro schema constant of the reply example's message (None: a JSON reply)."""
        return next((m.avro for m in self.reply_messages if m.has_example), None)

    @property
    def avro_content_type(self) -> str:
        """The content-type header of an Avro payload: the message's, unless that is a JSON type."""
        for m in self.messages:
            if m.avro and not _is_json(m.message.content_type):
                return m.message.content_type
        return AVRO_CONTENT_TYPE

    @property
    def attempt(self) -> str:
        """The consumer's function that decodes and handles one message (or raises InvalidMessage)."""
        return f"_receive_{self.ident}"

    @property
    def adapter(self) -> str:
        return f"_{self.ident.upper()}_PAYLOAD"

    @property
    def publisher(self) -> str:
        """The producer's declared FastStream publisher (documents the send operation)."""
        return f"_{self.ident.upper()}_PUBLISHER"

    @property
    def reply_adapter(self) -> str:
        return f"_{self.ident.upper()}_REPLY"

    @property
    def description(self) -> str:
        o = self.op
        return o.description or o.summary or o.title or ""


def build_context(
    api: Api,
    *,
    role: str,
    server: str | None,
    package: str,
    params: Mapping[str, Any],
    models: ModelsModule,
) -> dict[str, Any]:
    """Everything the ``service`` templates print, derived from the IR."""
    if role not in ("app", "client"):
        raise GenerationError(f"role {role!r} is not 'app' or 'client'")
    choice = brokers.choose(api, server, default=params.get("broker"))
    profile = choice.profile
    builder = _Builder(api, profile, package, models)
    role_ops = _role_operations(api, role)
    queue_op, paired = reply_queue_pairs(role_ops, role, lambda o: builder.receives_on_dynamic_queue(o, role))
    views = [
        builder.operation(op, role, replies_on=queue_op if id(op) in paired else None) for op in role_ops
    ]
    reply_queues = [v for v in views if v.dynamic_queue]
    ops = [v for v in views if not v.dynamic_queue]
    for o in ops:
        if id(o.op) in paired:
            o.reply_queue = reply_queues[0]
            reply_queues[0].replies_for.append(o.function)
    sends = [o for o in ops if o.action == "send"]
    receives = [o for o in ops if o.action == "receive"]
    channels = builder.used_channels(ops)
    prefix = package.upper() + "_"
    url = brokers.default_url(profile, choice.server)
    return {
        "broker": profile,
        "server": choice.server,
        "broker_reason": choice.reason,
        "broker_url": url,
        "tls_default": brokers.uses_tls(choice.server),
        "mqtt_version": _mqtt_version(choice.server, profile),
        "env_prefix": prefix,
        "env_vars": _env_vars(prefix, url, package, profile, tls=brokers.uses_tls(choice.server))
        + (_avro_env_vars(prefix, params) if builder.avro_schemas else []),
        "channels": channels,
        "operations": ops,
        "sends": sends,
        "receives": receives,
        "subscriber_groups": groups(receives, builder.defs),
        "requests": [o for o in sends if o.has_reply],
        "reply_queues": reply_queues,
        "producer_imports": imports(sends, profile, "send"),
        "consumer_imports": imports(receives, profile, "receive"),
        "handler_imports": imports(receives, profile, "handler"),
        "test_imports": imports(ops, profile, "test"),
        "test_uses": test_uses(ops, profile),
        "title": api.title,
        "description": api.description or "",
        "spec_version": api.spec_version,
        "relay": build_relay(api, params, models, channels, profile),  # HTTP side: asyncgen/relaycontext.py
        "avro_schemas": list(builder.avro_schemas.values()),
        "schema_registry_url": str(params.get("schema_registry_url") or ""),
    }


def _mqtt_version(server: Server | None, profile: BrokerProfile) -> str:
    if profile.key != "mqtt" or server is None:
        return "5.0"
    version = (server.protocol_version or "").strip()
    return "3.1.1" if version.startswith("3") else "5.0"


def _env_vars(
    prefix: str, url: str, package: str, profile: BrokerProfile, *, tls: bool
) -> list[tuple[str, str, str]]:
    rows = [
        ("BROKER_URL", url, f"{profile.title} URL (the spec's server)"),
        ("BROKER_USER", "(unset)", "user name for SASL/plain authentication (unset: none)"),
        ("BROKER_PASSWORD", "(unset)", "password for the user above"),
        ("TLS", "true" if tls else "false", "connect with TLS (true for secure server protocols)"),
        ("CLIENT_ID", package, "client id announced to the broker"),
        ("CONSUMER_GROUP", package, "consumer group / queue group / shared queue name"),
        ("REQUEST_TIMEOUT", "5.0", "seconds a request_...() waits for its reply"),
        ("LOG_LEVEL", "INFO", "log level of the service"),
    ]
    return [(prefix + name, default, text) for name, default, text in rows]


def _avro_env_vars(prefix: str, params: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    url = str(params.get("schema_registry_url") or "")
    rows = [
        ("SCHEMA_REGISTRY_URL", url or "(unset)", "Confluent schema registry URL (unset: no registry)"),
        ("AVRO_FRAMING", "auto", "Avro framing: raw, confluent, container; auto = confluent with a registry"),
        ("SCHEMA_REGISTRY_SUBJECT_STRATEGY", "topic", "topic (<topic>-value), record, topic_record"),
        ("SCHEMA_REGISTRY_TIMEOUT", "5.0", "seconds a schema registry request may take"),
    ]
    return [(prefix + name, default, text) for name, default, text in rows]


class _Builder:
    def __init__(self, api: Api, profile: BrokerProfile, package: str, models: ModelsModule) -> None:
        self.api = api
        self.profile = profile
        self.package = package
        self.models = models
        self.names = Names()
        self.handler_names = Names()
        self.const_names = Names()
        self.class_names = Names(reserved=self._model_class_names())
        self._channels: dict[str, ChannelView] = {}
        #: payload def name -> its Avro schema (in first-use order)
        self.avro_schemas: dict[str, AvroSchemaView] = {}
        self.defs = {d.name: dict(d.schema) for d in api.schemas}

    def _model_class_names(self) -> set[str]:
        return {self.models.class_name(d.name) for d in self.api.schemas}

    def used_channels(self, ops: Sequence[OperationView]) -> list[ChannelView]:
        for o in ops:
            self._channels.setdefault(o.channel.channel.key, o.channel)
        order = {c.key: i for i, c in enumerate(self.api.channels)}
        return sorted(self._channels.values(), key=lambda v: order.get(v.channel.key, len(order)))

    def channel(self, channel: Channel) -> ChannelView:
        found = self._channels.get(channel.key)
        if found is not None:
            return found
        param_names = Names()
        amqp = brokers.binding(channel.bindings, self.profile)
        queue_named = self.profile.key == "rabbit" and amqp.get("is") == "queue"
        value_regex = ".+" if queue_named else self.profile.param_regex
        forbidden = "" if queue_named else self.profile.forbidden_chars
        params = [ParamView(p, param_names.take(p.ident), value_regex, forbidden) for p in channel.parameters]
        view = ChannelView(
            channel=channel,
            profile=self.profile,
            params=params,
            const=self.const_names.take(channel.ident.upper()),
            params_class=self.class_names.take(pascal(channel.ident) + "Params"),
        )
        brokers.check_address(self.profile, view.address, f"channel {channel.key!r}")
        view.spy_address = view.example_address
        self._channels[channel.key] = view
        return view

    def message(self, message: Message, handler: str) -> MessageView:
        avro = self.avro_const(message)
        json_ok = _is_json(message.content_type) or avro is not None
        payload_class = "Any"
        example: Any = None
        has_example = False
        invalid = None
        if message.payload is not None and json_ok:
            payload_class = self.models.class_name(message.payload.name)
            example, has_example = example_for(message, self.defs)
            invalid = invalid_field_for(dict(message.payload.schema), self.defs)
        elif not json_ok:
            payload_class = "bytes"
        else:
            example, has_example = "example", True  # no schema: any JSON value
        headers_class = self.models.class_name(message.headers.name) if message.headers else None
        if not self.profile.faststream:
            headers_class = None  # WebSocket frames carry no headers
        headers_ex = headers_example(message, self.defs)
        return MessageView(
            message,
            payload_class,
            headers_class,
            handler,
            example,
            has_example,
            invalid,
            json_ok,
            headers_ex,
            avro=avro,
        )

    def avro_const(self, message: Message) -> str | None:
        """The constant naming the message's Avro schema in ``avro_codec.py`` (registered on first use).

        A payload whose schemaFormat is Avro travels as Avro binary, whatever its contentType says
        (Kafka/Confluent practice); WebSockets (no FastStream) keep JSON frames.
        """
        payload = message.payload
        if payload is None or payload.source_format != "avro" or not self.profile.faststream:
            return None
        if payload.original is None:
            return None
        found = self.avro_schemas.get(payload.name)
        if found is None:
            const = self.const_names.take(_upper_snake(payload.name) + "_AVRO")
            found = self.avro_schemas[payload.name] = AvroSchemaView(
                const, self.models.class_name(payload.name), payload.original
            )
        return found.const

    def fragments(self, op: Operation, channel: ChannelView) -> brokers.Fragments:
        """The operation's honoured bindings as code (see :func:`brokers.fragments`)."""
        return brokers.fragments(
            self.profile,
            op_key=op.key,
            op_bindings=op.bindings,
            channel_bindings=op.channel.bindings,
            message_bindings=[m.bindings for m in op.messages or op.channel.messages],
            address=channel.address,
            template=channel.template,
            regex=channel.regex,
            parameterised=channel.parameterised,
            package=self.package,
        )

    def receives_on_dynamic_queue(self, op: Operation, role: str) -> bool:
        """Whether the operation (after role mirroring) receives from an AMQP queue named at run time."""
        if role_action(op, role) != "receive" or self.profile.key != "rabbit":
            return False
        return self.fragments(op, self.channel(op.channel)).dynamic_queue

    def operation(self, op: Operation, role: str, *, replies_on: Operation | None = None) -> OperationView:
        """The view of ``op``; ``replies_on``: the receive operation whose queue gets its replies."""
        action = role_action(op, role)
        channel = self.channel(op.channel)
        messages_in = op.messages or op.channel.messages
        reply = op.reply
        has_reply = reply is not None and bool(reply.messages or (reply.channel and reply.channel.messages))
        if replies_on is not None:
            has_reply, reply = True, None
        if action == "send" and not self.profile.supports_request:
            has_reply = False  # WebSockets: the reply is just the next frame on the connection
        if action == "send":
            verb = "request" if has_reply else "publish"
            base = op.ident if op.ident.startswith(verb + "_") else f"{verb}_{op.ident}"
            function = self.names.take(base)
        else:
            function = self.names.take(f"consume_{op.ident}")
        single = len(messages_in) <= 1
        messages = []
        for m in messages_in:
            wanted = f"on_{op.ident}" if single else f"on_{op.ident}_{m.ident}"
            messages.append(self.message(m, self.handler_names.take(wanted) if action == "receive" else ""))
        view = OperationView(op=op, action=action, channel=channel, messages=messages, function=function)
        if replies_on is not None:
            replies = replies_on.messages or replies_on.channel.messages
            view.reply_messages = [self.message(m, "") for m in replies]
        if has_reply and reply is not None:
            reply_msgs = reply.messages or (reply.channel.messages if reply.channel else ())
            view.reply_messages = [self.message(m, "") for m in reply_msgs]
            rc = reply.channel
            # a reply to the request's own address would come straight back to this consumer:
            # then only the request's reply-to is used
            if rc is not None and rc.address and not rc.parameters and rc.address != op.channel.address:
                view.reply_static_address = rc.address
                view.reply_spy_args = brokers.fragments(
                    self.profile,
                    op_key=op.key,
                    op_bindings={},
                    channel_bindings={},
                    message_bindings=[],
                    address=rc.address,
                    template=rc.address,
                    regex="",
                    parameterised=False,
                    package=self.package,
                ).spy_args
            if reply.address_expr and reply.address_expr.startswith("$message.header#/"):
                view.reply_header = reply.address_expr.split("#/", 1)[1].replace("~1", "/").replace("~0", "~")
        for m in messages_in:
            cid = m.correlation_id
            if cid is not None and cid.source == "header" and len(cid.path) == 1:
                view.correlation_header = cid.path[0]
                break
        for m in messages_in:
            cid = m.correlation_id
            if cid is not None and cid.source == "payload" and cid.path:
                view.correlation_field = cid.path
                break
        frag = self.fragments(op, channel)
        view.dynamic_queue = frag.dynamic_queue and action == "receive"
        view.subscriber_args = frag.subscriber_args
        view.spy_args = lit(channel.example_address) if frag.dynamic_queue else frag.spy_args
        view.publish_kwargs = frag.publish_kwargs
        view.dlq_address = frag.dlq_address
        return view


def _upper_snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()


def _role_operations(api: Api, role: str) -> list[Operation]:
    """The IR's operations the role generates (see the module docstring for the client)."""
    if role != "client":
        return list(api.operations)
    reply_to = {
        id(op.reply.channel)
        for op in api.operations
        if op.action == "receive" and op.reply and op.reply.channel is not None and op.reply.address_expr
    }
    return [op for op in api.operations if not (op.action == "send" and id(op.channel) in reply_to)]


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
