"""Which transport a spec gets, and how its addresses and bindings map onto it.

One frozen :class:`BrokerProfile` per transport. The service templates never
branch on protocol strings: they print fragments that ``asyncgen/context.py``
builds from the profile (decorator arguments, publish keyword arguments).

Choosing the broker (:func:`profile_for`), in this order:

1. ``--server NAME``: that server; its protocol must have a transport.
2. an explicit template parameter ``broker`` (``kafka``, ``amqp``, ``mqtt``,
   ``nats``, ``redis``, ``ws``) - it wins over the spec's servers; the spec's
   server is still used for the default URL when its protocol matches.
3. the first server (spec order) whose protocol has a transport.
4. no servers: the first protocol named in an operation's, channel's or
   message's ``bindings`` that has a transport; else Kafka.

A spec whose servers all use protocols without a transport (``stomp``,
``http``...) is refused with a :class:`~asyncgen.errors.GenerationError` that
names the server and the alternatives.

Address mapping (channel ``{param}`` placeholders; FastStream's ``Path``
extraction fills ``message.path`` on every FastStream broker):

* MQTT: a placeholder must fill a whole topic level; subscribed with ``+``.
* NATS: a placeholder must fill a whole ``.``-token; subscribed with ``*``.
* Redis pub/sub: pattern subscription (``PSUBSCRIBE`` with ``*``).
* Kafka: a parameterised topic is subscribed with ``pattern=`` (a regex).
* AMQP: the address is the routing key (``is: routingKey``, default) or the
  queue (``is: queue``); parameterised routing keys need a topic exchange
  (``amq.topic`` unless the channel binding names one) and whole ``.``-words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from asyncgen.errors import GenerationError
from asyncgen.model import Api, Server

PARAM_RE = re.compile(r"{([^{}]+)}")


@dataclass(frozen=True)
class BrokerProfile:
    """Everything the templates need to know about one transport."""

    key: str  # "kafka" | "rabbit" | "mqtt" | "nats" | "redis" | "websockets"
    title: str  # for prose: "Kafka"
    protocols: tuple[str, ...]  # spec protocol names mapped to this transport
    binding_key: str  # the AsyncAPI bindings key: "kafka", "amqp", "mqtt", ...
    faststream: bool  # False: WebSockets (the ``websockets`` package)
    module: str  # python module with the classes
    extra: str  # faststream extra / pip requirement
    requirement: str  # the dependency line for pyproject
    broker_class: str
    test_broker_class: str
    message_class: str  # annotation of the incoming message
    router_class: str
    default_scheme: str
    default_port: int
    #: AckPolicy member name for subscribers; None: the transport has no acks
    ack_policy: str | None
    #: how invalid messages are dead-lettered: "topic" (<address>.dlq), "dlx", "reject"
    dead_letter: str
    #: the separator a ``{param}`` must be bounded by; None = anywhere
    level_separator: str | None
    #: regex one parameter value must match entirely (matches FastStream's Path regex)
    param_regex: str
    #: characters never allowed in a parameter value (wildcards/separators)
    forbidden_chars: str
    #: the keyword naming the address in ``broker.publish(...)``
    publish_address_kw: str
    #: whether ``broker.request(...)`` is available for request/reply
    supports_request: bool = True

    @property
    def request_address(self) -> str:
        """How the address is passed to ``broker.request``: positional, or a keyword prefix."""
        return ""

    @property
    def dead_letter_text(self) -> str:
        return {
            "topic": "copy it to the dead-letter topic <topic>.dlq, then commit",
            "dlx": "reject it (no requeue) into the queue's dead-letter queue <queue>.dlq",
        }.get(self.dead_letter, "reject it (this transport has no dead-letter destination)")


PROFILES: dict[str, BrokerProfile] = {
    "kafka": BrokerProfile(
        key="kafka",
        title="Kafka",
        protocols=("kafka", "kafka-secure"),
        binding_key="kafka",
        faststream=True,
        module="faststream.kafka",
        extra="kafka",
        requirement="faststream[kafka]>=0.7",
        broker_class="KafkaBroker",
        test_broker_class="TestKafkaBroker",
        message_class="KafkaMessage",
        router_class="KafkaRouter",
        default_scheme="",
        default_port=9092,
        ack_policy="NACK_ON_ERROR",
        dead_letter="topic",
        level_separator=None,
        param_regex="[^.]+",
        forbidden_chars="*",
        publish_address_kw="topic",
    ),
    "rabbit": BrokerProfile(
        key="rabbit",
        title="RabbitMQ",
        protocols=("amqp", "amqps"),
        binding_key="amqp",
        faststream=True,
        module="faststream.rabbit",
        extra="rabbit",
        requirement="faststream[rabbit]>=0.7",
        broker_class="RabbitBroker",
        test_broker_class="TestRabbitBroker",
        message_class="RabbitMessage",
        router_class="RabbitRouter",
        default_scheme="amqp",
        default_port=5672,
        ack_policy="REJECT_ON_ERROR",
        dead_letter="dlx",
        level_separator=".",
        param_regex="[^.]+",
        forbidden_chars="*#",
        publish_address_kw="routing_key",
    ),
    "mqtt": BrokerProfile(
        key="mqtt",
        title="MQTT",
        protocols=("mqtt", "mqtts", "secure-mqtt", "mqtt5"),
        binding_key="mqtt",
        faststream=True,
        module="faststream.mqtt",
        extra="mqtt",
        requirement="faststream[mqtt]>=0.7",
        broker_class="MQTTBroker",
        test_broker_class="TestMQTTBroker",
        message_class="MQTTMessage",
        router_class="MQTTRouter",
        default_scheme="mqtt",
        default_port=1883,
        ack_policy="ACK",
        dead_letter="reject",
        level_separator="/",
        param_regex="[^/]+",
        forbidden_chars="+#",
        publish_address_kw="topic",
    ),
    "nats": BrokerProfile(
        key="nats",
        title="NATS",
        protocols=("nats", "tls"),
        binding_key="nats",
        faststream=True,
        module="faststream.nats",
        extra="nats",
        requirement="faststream[nats]>=0.7",
        broker_class="NatsBroker",
        test_broker_class="TestNatsBroker",
        message_class="NatsMessage",
        router_class="NatsRouter",
        default_scheme="nats",
        default_port=4222,
        ack_policy=None,  # core NATS has no acks
        dead_letter="reject",
        level_separator=".",
        param_regex="[^.]+",
        forbidden_chars="*> ",
        publish_address_kw="subject",
    ),
    "redis": BrokerProfile(
        key="redis",
        title="Redis",
        protocols=("redis", "rediss"),
        binding_key="redis",
        faststream=True,
        module="faststream.redis",
        extra="redis",
        requirement="faststream[redis]>=0.7",
        broker_class="RedisBroker",
        test_broker_class="TestRedisBroker",
        message_class="RedisMessage",
        router_class="RedisRouter",
        default_scheme="redis",
        default_port=6379,
        ack_policy=None,  # pub/sub has no acks
        dead_letter="reject",
        level_separator=None,
        param_regex="[^.]+",
        forbidden_chars="*?[]",
        publish_address_kw="channel",
    ),
    "websockets": BrokerProfile(
        key="websockets",
        title="WebSockets",
        protocols=("ws", "wss"),
        binding_key="ws",
        faststream=False,
        module="websockets",
        extra="",
        requirement="websockets>=12",
        broker_class="",
        test_broker_class="",
        message_class="",
        router_class="",
        default_scheme="ws",
        default_port=8765,
        ack_policy=None,
        dead_letter="reject",
        level_separator="/",
        param_regex="[^/]+",
        forbidden_chars="?#",
        publish_address_kw="path",
        supports_request=False,
    ),
}

#: every spec protocol name we generate, in the order error messages list them
SUPPORTED_PROTOCOLS: dict[str, str] = {p: key for key, prof in PROFILES.items() for p in prof.protocols}
#: the names users pass as the ``broker`` parameter
BROKER_PARAM_CHOICES = ("auto", "kafka", "amqp", "mqtt", "nats", "redis", "ws")
_PARAM_TO_PROFILE = {"kafka": "kafka", "amqp": "rabbit", "mqtt": "mqtt", "nats": "nats", "redis": "redis"}
_PARAM_TO_PROFILE["ws"] = "websockets"

_ALTERNATIVES = "kafka, amqp, mqtt, nats, redis, ws"


@dataclass(frozen=True)
class BrokerChoice:
    """The transport and the server (if any) a generated service talks to."""

    profile: BrokerProfile
    server: Server | None
    #: why this broker: for the generated README
    reason: str


def profile_for(api: Api, server_key: str | None, *, default: str | None = None) -> BrokerProfile:
    """The transport for ``api`` (see the module docstring for the rules)."""
    return choose(api, server_key, default=default).profile


def choose(api: Api, server_key: str | None, *, default: str | None = None) -> BrokerChoice:
    forced = _forced_profile(default)
    if server_key is not None:
        try:
            server = api.server(server_key)
        except KeyError:
            known = ", ".join(s.key for s in api.servers) or "none"
            raise GenerationError(
                f"--server {server_key!r}: the spec has no such server (servers: {known})"
            ) from None
        profile = _server_profile(server)
        if profile is None:
            raise _unsupported(server, api.servers)
        if forced is not None and forced.key != profile.key:
            raise GenerationError(
                f"server {server.key!r} uses protocol {server.protocol!r} but the broker parameter asks "
                f"for {default!r}; drop one of them"
            )
        return BrokerChoice(profile, server, f"server {server.key!r} (--server)")
    if forced is not None:
        match = next((s for s in api.servers if _server_profile(s) == forced), None)
        return BrokerChoice(forced, match, f"the broker parameter ({default})")
    for server in api.servers:
        profile = _server_profile(server)
        if profile is not None:
            return BrokerChoice(profile, server, f"server {server.key!r}")
    if api.servers:
        raise _unsupported(api.servers[0], api.servers)
    for key in _binding_keys(api):
        for profile in PROFILES.values():
            if profile.binding_key == key:
                return BrokerChoice(profile, None, f"the spec's {key!r} bindings (it has no servers)")
    return BrokerChoice(PROFILES["kafka"], None, "the default (the spec has no servers)")


def _forced_profile(default: str | None) -> BrokerProfile | None:
    if default is None or default == "auto":
        return None
    key = _PARAM_TO_PROFILE.get(default) or SUPPORTED_PROTOCOLS.get(default)
    if key is None:
        raise GenerationError(f"broker parameter {default!r} is not one of {', '.join(BROKER_PARAM_CHOICES)}")
    return PROFILES[key]


def _server_profile(server: Server) -> BrokerProfile | None:
    key = SUPPORTED_PROTOCOLS.get(server.protocol.lower())
    return PROFILES[key] if key else None


def _unsupported(server: Server, servers: Iterable[Server]) -> GenerationError:
    others = [s.key for s in servers if s.key != server.key and _server_profile(s) is not None]
    hint = f"pick another with --server ({', '.join(others)})" if others else "add a server with one of them"
    return GenerationError(
        f"server {server.key!r} uses protocol {server.protocol!r}; asyncgen generates {_ALTERNATIVES} - "
        f"{hint}, or force a transport with the broker parameter (-p broker=kafka)"
    )


def _binding_keys(api: Api) -> Iterable[str]:
    for op in api.operations:
        yield from op.bindings
        yield from op.channel.bindings
        for message in op.messages:
            yield from message.bindings


def substitute(template: str, values: Mapping[str, str]) -> str:
    """Fill ``{name}`` placeholders; unknown names are left alone."""
    return PARAM_RE.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def default_url(profile: BrokerProfile, server: Server | None) -> str:
    """The broker URL the generated settings default to.

    Built from the server's host (variables replaced by their defaults, else
    their first enum value, else ``localhost``) and pathname; a spec without a
    server gets the transport's local default.
    """
    if server is None or not server.host:
        host = f"localhost:{profile.default_port}"
        path = ""
    else:
        values = {v.name: (v.default or (v.enum[0] if v.enum else "localhost")) for v in server.variables}
        raw = substitute(server.host, values)
        raw = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", raw)  # a 2.x host may carry a scheme
        host, _, rest = raw.partition("/")
        host = PARAM_RE.sub("localhost", host) or "localhost"
        if ":" not in host.rsplit("]", 1)[-1]:
            host = f"{host}:{_TLS_PORTS.get(server.protocol, profile.default_port)}"
        pathname = substitute(server.pathname or "", values)
        path = pathname if pathname.startswith("/") or not pathname else "/" + pathname
        if not path and rest:
            path = "/" + rest
    if profile.key == "kafka":
        return host  # aiokafka bootstrap servers: host:port
    scheme = profile.default_scheme
    if server is not None and server.protocol in {"amqps", "mqtts", "secure-mqtt", "rediss", "wss"}:
        scheme = {"amqps": "amqps", "mqtts": "mqtts", "secure-mqtt": "mqtts", "rediss": "rediss"}.get(
            server.protocol, "wss"
        )
    if profile.key == "mqtt":
        path = ""  # FastStream's MQTT URL takes no path
    if profile.key == "rabbit" and not path:
        path = "/"
    return f"{scheme}://{host}{path}"


_TLS_PORTS = {"mqtts": 8883, "secure-mqtt": 8883, "amqps": 5671}


def uses_tls(server: Server | None) -> bool:
    return server is not None and server.protocol in {
        "kafka-secure",
        "amqps",
        "mqtts",
        "secure-mqtt",
        "rediss",
        "wss",
        "tls",
    }


def check_address(profile: BrokerProfile, address: str, where: str) -> None:
    """Refuse a parameterised address the transport cannot subscribe to faithfully."""
    sep = profile.level_separator
    if sep is None:
        return
    for match in PARAM_RE.finditer(address):
        before = address[match.start() - 1] if match.start() > 0 else ""
        after = address[match.end()] if match.end() < len(address) else ""
        if before not in ("", sep) or after not in ("", sep):
            raise GenerationError(
                f"{where}: parameter {{{match.group(1)}}} in {address!r} does not fill a whole "
                f"{sep!r}-separated level, which {profile.title} wildcards need; "
                f"use a separate level for it, or another broker"
            )


def binding(bindings: Mapping[str, Any], profile: BrokerProfile) -> Mapping[str, Any]:
    """The bindings object for this transport (empty when absent or malformed)."""
    value = bindings.get(profile.binding_key)
    return value if isinstance(value, Mapping) else {}


def schema_constant(value: Any) -> Any:
    """The one value a binding field schema fixes (``const``, single ``enum``, ``default``) or the value."""
    if isinstance(value, Mapping):
        if "const" in value:
            return value["const"]
        enum = value.get("enum")
        if isinstance(enum, list) and enum:
            return enum[0]
        return value.get("default")
    return value


@dataclass(frozen=True)
class Fragments:
    """Ready-to-print code for one operation: decorator and publish arguments."""

    subscriber_args: str = ""  # inside ``@broker.subscriber(...)``
    spy_args: str = ""  # a test-only subscriber on the same address
    publish_kwargs: str = ""  # extra keyword arguments of ``broker.publish``
    dlq_address: str | None = None  # where invalid messages go (Kafka topic / AMQP queue)
    #: AMQP: the queue name is the parameterised address itself (known only at run time)
    dynamic_queue: bool = False


def lit(value: Any) -> str:
    """A Python literal (``repr``, as the ``py_literal`` filter)."""
    return repr(value)


def fragments(
    profile: BrokerProfile,
    *,
    op_key: str,
    op_bindings: Mapping[str, Any],
    channel_bindings: Mapping[str, Any],
    message_bindings: Iterable[Mapping[str, Any]],
    address: str,
    template: str,
    regex: str,
    parameterised: bool,
    package: str,
) -> Fragments:
    """The honoured bindings of one operation, as code.

    Kafka: ``groupId`` (else the consumer-group setting), a parameterised topic is
    subscribed with ``pattern=`` an anchored regex (so ``<topic>.dlq``, where invalid
    messages go, never matches it) and its parameters parsed from the record's topic.
    MQTT: ``qos`` (default 1) and ``retain``. NATS: ``queue`` (else the consumer-group setting). AMQP: see
    :func:`_rabbit`. Redis: plain/pattern pub/sub.
    """
    op_b = binding(op_bindings, profile)
    msg_bs = [binding(b, profile) for b in message_bindings]
    where = lit(template)
    doc = f"title={lit(op_key)}"
    if profile.key == "kafka":
        group = schema_constant(op_b.get("groupId"))
        group_expr = lit(group) if isinstance(group, str) and group else "settings.consumer_group"
        target = f"pattern={lit(regex)}" if parameterised else where
        return Fragments(
            subscriber_args=f"{target}, group_id={group_expr}, auto_offset_reset='earliest', "
            f"ack_policy=AckPolicy.{profile.ack_policy}, {doc}",
            spy_args=target,
            dlq_address=address + ".dlq",
        )
    if profile.key == "rabbit":
        return _rabbit(
            binding(channel_bindings, profile),
            op_b,
            op_key,
            address,
            template=template,
            parameterised=parameterised,
            package=package,
        )
    if profile.key == "mqtt":
        qos = schema_constant(op_b.get("qos"))
        qos_expr = f"QoS({qos if qos in (0, 1, 2) else 1})"
        retain = any(schema_constant(b.get("retain")) is True for b in [op_b, *msg_bs])
        return Fragments(
            subscriber_args=f"{where}, qos={qos_expr}, ack_policy=AckPolicy.{profile.ack_policy}, {doc}",
            spy_args=f"{where}, qos={qos_expr}",
            publish_kwargs=f"qos={qos_expr}" + (", retain=True" if retain else ""),
        )
    if profile.key == "nats":
        queue = schema_constant(op_b.get("queue"))
        queue_expr = lit(queue) if isinstance(queue, str) and queue else "settings.consumer_group"
        return Fragments(subscriber_args=f"{where}, queue={queue_expr}, {doc}", spy_args=where)
    return Fragments(subscriber_args=f"{where}, {doc}", spy_args=where)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


_EXCHANGE_TYPES = ("topic", "direct", "fanout", "headers")


def _rabbit(
    ch_b: Mapping[str, Any],
    op_b: Mapping[str, Any],
    op_key: str,
    address: str,
    *,
    template: str,
    parameterised: bool,
    package: str,
) -> Fragments:
    """AMQP bindings: ``is`` (routingKey/queue), exchange name/type/durable/autoDelete,
    queue name/durable/exclusive/autoDelete, ``deliveryMode: 2`` (persistent).

    Without an exchange binding the default exchange is used (routing key = queue name =
    the address); a parameterised address without one goes through ``amq.topic``. Every
    consumer queue dead-letters into ``<queue>.dlq`` via the default exchange.
    """
    is_queue = ch_b.get("is") == "queue"
    exchange = _mapping(ch_b.get("exchange"))
    queue = _mapping(ch_b.get("queue"))
    ex_name = exchange.get("name") if isinstance(exchange.get("name"), str) else None
    ex_type = exchange.get("type") if exchange.get("type") in _EXCHANGE_TYPES else None
    if is_queue:
        ex_expr = "None"
    elif ex_name:
        ex_expr = (
            f"RabbitExchange({lit(ex_name)}, type=ExchangeType.{(ex_type or 'topic').upper()}, "
            f"durable={bool(exchange.get('durable', True))!r}, "
            f"auto_delete={bool(exchange.get('autoDelete', False))!r})"
        )
    elif parameterised:
        ex_expr = "RabbitExchange('amq.topic', type=ExchangeType.TOPIC, durable=True)"
    else:
        ex_expr = "None"
    named = queue.get("name") if isinstance(queue.get("name"), str) and queue.get("name") else None
    q_name = str(named or (address if ex_expr == "None" else f"{package}.{op_key}"))
    routing = "" if ex_expr == "None" else f", routing_key={lit(template)}"
    dlx = f"arguments={{'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': {lit(q_name + '.dlq')}}}"
    queue_expr = (
        f"RabbitQueue({lit(q_name)}, durable={bool(queue.get('durable', True))!r}, "
        f"exclusive={bool(queue.get('exclusive', False))!r}, "
        f"auto_delete={bool(queue.get('autoDelete', False))!r}{routing}, {dlx})"
    )
    spy = f"RabbitQueue({lit(q_name + '.spy')}, auto_delete=True{routing}), {ex_expr}"
    kwargs = [] if ex_expr == "None" else [f"exchange={ex_expr}"]
    if schema_constant(op_b.get("deliveryMode")) == 2:
        kwargs.append("persist=True")
    return Fragments(
        subscriber_args=f"{queue_expr}, {ex_expr}, ack_policy=AckPolicy.REJECT_ON_ERROR, title={lit(op_key)}",
        spy_args=spy if ex_expr != "None" else lit(q_name),
        publish_kwargs=", ".join(kwargs),
        dlq_address=q_name + ".dlq",
        dynamic_queue=ex_expr == "None" and parameterised and q_name == address,
    )
