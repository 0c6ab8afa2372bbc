"""AsyncAPI 3.0/3.1 -> IR."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from parse_support import parse_data

from asyncgen.errors import Diagnostics
from asyncgen.load import load
from asyncgen.parse import parse


def spec(version: str = "3.0.0", **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"asyncapi": version, "info": {"title": "Users", "version": "2.0.0"}}
    base.update(extra)
    return base


RPC = spec(
    servers={
        "prod": {
            "host": "rabbit.example.com:5672",
            "pathname": "/vhost",
            "protocol": "AMQP",
            "security": [{"$ref": "#/components/securitySchemes/userPassword"}],
        }
    },
    channels={
        "requests": {
            "address": "users/{userId}/requests",
            "parameters": {
                "userId": {
                    "enum": ["1", "2"],
                    "default": "1",
                    "description": "id",
                    "location": "$message.payload#/id",
                }
            },
            "messages": {
                "ping": {"$ref": "#/components/messages/ping"},
                "other": {"payload": {"type": "string"}},
            },
        },
        "replies": {"address": None, "messages": {"pong": {"$ref": "#/components/messages/pong"}}},
    },
    operations={
        "handlePing": {
            "action": "receive",
            "channel": {"$ref": "#/channels/requests"},
            "messages": [{"$ref": "#/channels/requests/messages/ping"}],
            "traits": [{"summary": "trait", "title": "Trait title"}],
            "title": "Own title",
            "reply": {
                "address": {"location": "$message.header#/replyTo", "description": "inbox"},
                "channel": {"$ref": "#/channels/replies"},
                "messages": [{"$ref": "#/channels/replies/messages/pong"}],
            },
        },
        "sendAll": {"action": "send", "channel": {"$ref": "#/channels/requests"}},
    },
    components={
        "messages": {
            "ping": {
                "payload": {"$ref": "#/components/schemas/Ping"},
                "correlationId": {"location": "$message.header#/cid"},
            },
            "pong": {
                "payload": {
                    "schemaFormat": "application/vnd.aai.asyncapi+json;version=3.0.0",
                    "schema": {
                        "type": "object",
                        "properties": {"ping": {"$ref": "#/components/schemas/Ping"}},
                    },
                }
            },
        },
        "schemas": {
            "Ping": {"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}}}
        },
        "securitySchemes": {"userPassword": {"type": "userPassword"}},
    },
)


def test_channels_addresses_and_parameters() -> None:
    api = parse_data(RPC)
    requests, replies = api.channels
    assert requests.key == "requests" and requests.address == "users/{userId}/requests"
    assert replies.address is None
    (param,) = requests.parameters
    assert (param.name, param.enum, param.default, param.location_expr) == (
        "userId",
        ("1", "2"),
        "1",
        "$message.payload#/id",
    )
    assert param.pattern is None
    assert [m.key for m in requests.messages] == ["ping", "other"]


def test_operations_messages_subset_and_default_all() -> None:
    api = parse_data(RPC)
    handle, send_all = api.operations
    assert handle.action == "receive" and handle.channel is api.channels[0]
    assert [m.key for m in handle.messages] == ["ping"]
    assert [m.key for m in send_all.messages] == ["ping", "other"]
    assert handle.messages[0] is send_all.messages[0]


def test_traits_merged_own_fields_win() -> None:
    handle = parse_data(RPC).operations[0]
    assert handle.title == "Own title"
    assert handle.summary == "trait"


def test_reply_channel_address_and_messages() -> None:
    api = parse_data(RPC)
    reply = api.operations[0].reply
    assert reply is not None
    assert reply.channel is api.channels[1]
    assert reply.address_expr == "$message.header#/replyTo"
    assert reply.description == "inbox"
    assert [m.key for m in reply.messages] == ["pong"]
    assert api.operations[1].reply is None


def test_multi_format_payload_and_shared_schema() -> None:
    api = parse_data(RPC)
    pong = next(m for m in api.messages if m.key == "pong")
    ping = next(m for m in api.messages if m.key == "ping")
    assert ping.payload is not None and ping.payload.name == "Ping"
    assert pong.payload is not None and pong.payload.name == "PongPayload"
    assert pong.payload.schema["properties"]["ping"] == {"$ref": "#/$defs/Ping"}
    assert [s.name for s in api.schemas].count("Ping") == 1


def test_servers_and_security() -> None:
    (server,) = parse_data(RPC).servers
    assert server.protocol == "amqp"
    assert server.host == "rabbit.example.com:5672" and server.pathname == "/vhost"
    assert server.url == "amqp://rabbit.example.com:5672/vhost"
    assert server.security == ("userPassword",)


def test_same_component_under_two_keys_is_two_messages_one_schema() -> None:
    api = parse_data(
        spec(
            channels={
                "on": {"address": "on", "messages": {"turnOn": {"$ref": "#/components/messages/turn"}}},
                "off": {"address": "off", "messages": {"turnOff": {"$ref": "#/components/messages/turn"}}},
            },
            components={"messages": {"turn": {"payload": {"type": "object"}}}},
        )
    )
    on, off = api.messages
    assert (on.key, off.key) == ("turnOn", "turnOff")
    assert on.payload is off.payload


@pytest.mark.parametrize("version", ["3.0.0", "3.1.0"])
def test_reply_with_address_only(version: str) -> None:
    api = parse_data(
        spec(
            version,
            channels={"req": {"address": "req", "messages": {"q": {"payload": {"type": "string"}}}}},
            operations={
                "ask": {
                    "action": "send",
                    "channel": {"$ref": "#/channels/req"},
                    "reply": {"address": {"location": "$message.header#/replyTo"}},
                }
            },
        )
    )
    reply = api.operations[0].reply
    assert reply is not None and reply.channel is None and reply.messages == ()
    assert reply.address_expr == "$message.header#/replyTo"


def test_31_multi_format_without_schema_format() -> None:
    api = parse_data(
        spec(
            "3.1.0",
            channels={"c": {"address": "c", "messages": {"m": {"payload": {"schema": {"type": "integer"}}}}}},
        )
    )
    (message,) = api.messages
    assert message.payload is not None and message.payload.schema == {"type": "integer"}


def test_message_not_in_channel_is_warned() -> None:
    diagnostics = Diagnostics()
    api = parse_data(
        spec(
            channels={"c": {"address": "c", "messages": {"a": {"payload": {"type": "string"}}}}},
            operations={
                "op": {
                    "action": "send",
                    "channel": {"$ref": "#/channels/c"},
                    "messages": [{"$ref": "#/components/messages/stray"}],
                }
            },
            components={"messages": {"stray": {"payload": {"type": "integer"}}}},
        ),
        diagnostics,
    )
    assert [m.key for m in api.operations[0].messages] == ["stray"]
    assert any("stray" in w.message for w in diagnostics.warnings)


def test_channel_object_shared_by_two_ids_is_warned() -> None:
    diagnostics = Diagnostics()
    api = parse_data(
        spec(
            channels={"a": {"$ref": "#/components/channels/x"}, "b": {"$ref": "#/components/channels/x"}},
            operations={"op": {"action": "send", "channel": {"$ref": "#/channels/b"}}},
            components={
                "channels": {"x": {"address": "x", "messages": {"m": {"payload": {"type": "string"}}}}}
            },
        ),
        diagnostics,
    )
    assert [c.key for c in api.channels] == ["a", "b"]
    assert len({c.ident for c in api.channels}) == 2
    assert api.operations[0].channel.key == "a"  # identity cannot tell them apart
    assert any("same object" in w.message for w in diagnostics.warnings)


def test_extensions_on_channels_operations_messages() -> None:
    api = parse_data(
        spec(
            channels={
                "c": {"address": "c", "x-c": 1, "messages": {"m": {"x-event-type": "E", "payload": {}}}}
            },
            operations={"o": {"action": "send", "x-o": [1], "channel": {"$ref": "#/channels/c"}}},
        )
    )
    assert api.channels[0].extensions == {"x-c": 1}
    assert api.operations[0].extensions == {"x-o": [1]}
    assert api.messages[0].extensions == {"x-event-type": "E"}
    assert api.messages[0].event_type == "E"


def test_payload_models_keep_their_names_over_message_classes(tmp_path: Path) -> None:
    (tmp_path / "schemas.yaml").write_text(
        "CustomerChanged:\n  type: object\n  properties:\n    id: {type: string}\n", encoding="utf-8"
    )
    (tmp_path / "api.yaml").write_text(
        """
asyncapi: 3.0.0
info: {title: ERP, version: '1'}
channels:
  customers:
    address: erp.customer.changed
    messages:
      CustomerChanged:
        payload: {$ref: './schemas.yaml#/CustomerChanged'}
""",
        encoding="utf-8",
    )
    api = parse(load(tmp_path / "api.yaml"))
    (message,) = api.messages
    assert message.payload is not None and message.payload.name == "CustomerChanged"
    assert message.class_name == "CustomerChangedMessage"
