"""Choosing the transport (asyncgen.brokers) and building the context (asyncgen.context)."""

from __future__ import annotations

from typing import Any

import pytest

from asyncgen import brokers
from asyncgen.context import build_context
from asyncgen.errors import GenerationError
from asyncgen.examples import example_for, invalid_field_for, synthesise
from asyncgen.model import Api, Channel, Message, MessageExample, Operation, SchemaDef, Server, ServerVariable


def api_with(*servers: Server, operations: tuple[Operation, ...] = ()) -> Api:
    return Api(
        family="asyncapi",
        spec_version="3.0.0",
        title="T",
        version="1",
        package="t",
        servers=servers,
        operations=operations,
    )


def server(key: str, protocol: str, host: str = "broker.example.com:1234", **kw: Any) -> Server:
    return Server(key=key, ident=key, protocol=protocol, host=host, **kw)


@pytest.mark.parametrize(
    ("protocol", "profile"),
    [
        ("kafka", "kafka"),
        ("kafka-secure", "kafka"),
        ("amqp", "rabbit"),
        ("amqps", "rabbit"),
        ("mqtt", "mqtt"),
        ("mqtts", "mqtt"),
        ("secure-mqtt", "mqtt"),
        ("nats", "nats"),
        ("redis", "redis"),
        ("rediss", "redis"),
        ("ws", "websockets"),
        ("wss", "websockets"),
    ],
)
def test_protocol_maps_to_profile(protocol: str, profile: str) -> None:
    assert brokers.profile_for(api_with(server("s", protocol)), None).key == profile


def test_unsupported_protocol_names_server_and_alternatives() -> None:
    api = api_with(server("production", "stomp"), server("dev", "http"))
    with pytest.raises(GenerationError) as err:
        brokers.profile_for(api, None)
    message = err.value.message
    assert "server 'production' uses protocol 'stomp'" in message
    assert "kafka, amqp, mqtt, nats, redis, ws" in message


def test_first_supported_server_wins_and_server_flag_picks() -> None:
    api = api_with(server("web", "http"), server("bus", "nats"), server("cache", "redis"))
    assert brokers.profile_for(api, None).key == "nats"
    assert brokers.profile_for(api, "cache").key == "redis"
    with pytest.raises(GenerationError, match=r"'web' uses protocol 'http'.*--server \(bus, cache\)"):
        brokers.profile_for(api, "web")
    with pytest.raises(GenerationError, match="no such server"):
        brokers.profile_for(api, "nope")


def test_no_servers_uses_bindings_then_kafka_and_param_forces() -> None:
    channel = Channel(key="c", ident="c", address="a")
    op = Operation(key="o", ident="o", action="send", channel=channel, bindings={"mqtt": {"qos": 1}})
    assert brokers.profile_for(api_with(operations=(op,)), None).key == "mqtt"
    assert brokers.profile_for(api_with(), None).key == "kafka"
    assert brokers.profile_for(api_with(server("s", "kafka")), None, default="amqp").key == "rabbit"
    with pytest.raises(GenerationError, match="not one of"):
        brokers.profile_for(api_with(), None, default="carrier-pigeon")


def test_default_url_from_server_variables() -> None:
    s = server(
        "s",
        "mqtt",
        host="{host}:{port}",
        variables=(
            ServerVariable("host", default="mqtt.local"),
            ServerVariable("port", enum=("8883", "1883")),
        ),
    )
    assert brokers.default_url(brokers.PROFILES["mqtt"], s) == "mqtt://mqtt.local:8883"
    assert brokers.default_url(brokers.PROFILES["kafka"], server("k", "kafka", host="k1:9093")) == "k1:9093"
    assert (
        brokers.default_url(brokers.PROFILES["rabbit"], server("r", "amqp", host="rmq")) == "amqp://rmq:5672/"
    )
    assert brokers.default_url(brokers.PROFILES["nats"], None) == "nats://localhost:4222"
    assert brokers.default_url(brokers.PROFILES["mqtt"], server("m", "mqtts", host="h")) == "mqtts://h:8883"


def test_wildcard_transports_refuse_partial_level_parameters() -> None:
    with pytest.raises(GenerationError, match="whole '/'-separated level"):
        brokers.check_address(brokers.PROFILES["mqtt"], "lights/id-{id}/x", "channel 'c'")
    brokers.check_address(brokers.PROFILES["mqtt"], "lights/{id}/x", "channel 'c'")
    brokers.check_address(brokers.PROFILES["kafka"], "lights.id-{id}", "channel 'c'")  # a regex copes


class FakeModels:
    code = ""

    def class_name(self, name: str) -> str:
        return name


def test_context_mirrors_for_client() -> None:
    schema = SchemaDef(name="P", schema={"type": "object", "properties": {"a": {"type": "string"}}})
    msg = Message(key="m", ident="m", class_name="M", payload=schema)
    channel = Channel(key="c", ident="c", address="x.y", messages=(msg,))
    ops = (
        Operation(key="recv", ident="recv", action="receive", channel=channel, messages=(msg,)),
        Operation(key="emit", ident="emit", action="send", channel=channel, messages=(msg,)),
    )
    api = Api(
        family="asyncapi",
        spec_version="3.0.0",
        title="T",
        version="1",
        package="t",
        servers=(server("s", "nats"),),
        channels=(channel,),
        operations=ops,
        schemas=(schema,),
    )
    app = build_context(api, role="app", server=None, package="t", params={}, models=FakeModels())
    client = build_context(api, role="client", server=None, package="t", params={}, models=FakeModels())
    assert [o.function for o in app["sends"]] == ["publish_emit"]
    assert [o.function for o in app["receives"]] == ["consume_recv"]
    assert [o.function for o in client["sends"]] == ["publish_recv"]
    assert [o.function for o in client["receives"]] == ["consume_emit"]
    assert app["env_prefix"] == "T_"
    with pytest.raises(GenerationError):
        build_context(api, role="server", server=None, package="t", params={}, models=FakeModels())


def test_examples_prefer_valid_spec_examples_then_synthesise() -> None:
    schema = {
        "type": "object",
        "required": ["id", "n", "when", "tags", "kind"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "n": {"type": "integer", "minimum": 5, "multipleOf": 2},
            "when": {"type": "string", "format": "date-time"},
            "tags": {"type": "array", "items": {"$ref": "#/$defs/Tag"}, "minItems": 2},
            "kind": {"oneOf": [{"const": "a"}, {"const": "b"}]},
            "opt": {"type": ["null", "number"], "exclusiveMinimum": 0},
        },
    }
    defs = {"Tag": {"type": "string", "enum": ["x", "y"]}}
    value = synthesise(schema, defs)
    assert value == {
        "id": "00000000-0000-4000-8000-000000000000",
        "n": 6,
        "when": "2024-01-01T00:00:00Z",
        "tags": ["x", "x"],
        "kind": "a",
        "opt": 1,
    }
    good = MessageExample(payload={**value, "n": 8}, has_payload=True)
    bad = MessageExample(payload={"id": 3}, has_payload=True)
    msg = Message(
        key="m", ident="m", class_name="M", payload=SchemaDef(name="S", schema=schema), examples=(bad, good)
    )
    assert example_for(msg, defs) == ({**value, "n": 8}, True)
    assert invalid_field_for(schema, defs) == ("id", [])
