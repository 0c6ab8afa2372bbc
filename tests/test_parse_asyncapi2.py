"""AsyncAPI 2.x -> IR."""

from __future__ import annotations

from typing import Any

import pytest
from parse_support import parse_data

from asyncgen.errors import Diagnostics, SpecError


def spec(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "asyncapi": "2.6.0",
        "info": {"title": "Streetlights Kafka API", "version": "1.0.0"},
    }
    base.update(extra)
    return base


LIGHTS = spec(
    servers={
        "prod": {
            "url": "kafka.example.com:{port}/base",
            "protocol": "Kafka",
            "protocolVersion": "3.5",
            "variables": {"port": {"default": "9092", "enum": ["9092", "9093"]}},
            "security": [{"saslScram": []}],
            "bindings": {"kafka": {"schemaRegistryUrl": "https://registry"}},
        },
        "mqtt": {"url": "mqtt://broker.example.com", "protocol": "mqtt"},
    },
    channels={
        "lights/{streetlightId}/measured": {
            "parameters": {"streetlightId": {"$ref": "#/components/parameters/streetlightId"}},
            "servers": ["prod"],
            "publish": {
                "operationId": "receiveLightMeasurement",
                "traits": [{"$ref": "#/components/operationTraits/kafka"}],
                "message": {"$ref": "#/components/messages/lightMeasured"},
            },
        },
        "lights/{streetlightId}/turn/on": {
            "parameters": {"streetlightId": {"$ref": "#/components/parameters/streetlightId"}},
            "subscribe": {
                "message": {"$ref": "#/components/messages/turnOn"},
                "summary": "own summary",
                "traits": [{"summary": "trait summary", "description": "from trait"}],
            },
        },
    },
    components={
        "messages": {
            "lightMeasured": {
                "name": "lightMeasured",
                "contentType": "application/json",
                "traits": [{"$ref": "#/components/messageTraits/commonHeaders"}],
                "payload": {"$ref": "#/components/schemas/lightMeasuredPayload"},
                "correlationId": {"location": "$message.header#/correlationId"},
            },
            "turnOn": {
                "name": "turnOnOff",
                "traits": [
                    {"$ref": "#/components/messageTraits/commonHeaders"},
                    {"contentType": "text/plain"},
                ],
                "contentType": "application/json",
                "payload": {
                    "type": "object",
                    "properties": {
                        "command": {"type": "string"},
                        "sentAt": {"$ref": "#/components/schemas/sentAt"},
                    },
                },
            },
        },
        "schemas": {
            "lightMeasuredPayload": {
                "type": "object",
                "properties": {
                    "lumens": {"type": "integer", "minimum": 0},
                    "sentAt": {"$ref": "#/components/schemas/sentAt"},
                },
            },
            "sentAt": {"type": "string", "format": "date-time"},
        },
        "messageTraits": {
            "commonHeaders": {
                "headers": {"type": "object", "properties": {"my-app-header": {"type": "integer"}}}
            }
        },
        "operationTraits": {"kafka": {"bindings": {"kafka": {"clientId": {"type": "string"}}}}},
        "parameters": {
            "streetlightId": {
                "description": "The ID of the streetlight.",
                "schema": {"type": "string", "enum": ["a", "b"], "default": "a", "pattern": "^[ab]$"},
                "location": "$message.payload#/id",
            }
        },
    },
)


def test_api_header_and_package() -> None:
    api = parse_data(LIGHTS)
    assert api.family == "asyncapi"
    assert api.spec_version == "2.6.0"
    assert api.title == "Streetlights Kafka API"
    assert api.package == "streetlights_kafka_api"


def test_publish_means_receive_and_subscribe_means_send() -> None:
    api = parse_data(LIGHTS)
    actions = {op.key: op.action for op in api.operations}
    assert actions["receiveLightMeasurement"] == "receive"
    derived = next(op for op in api.operations if op.action == "send")
    assert derived.key == "lights_streetlight_id_turn_on_send"
    assert derived.ident == "lights_streetlight_id_turn_on_send"
    assert all(op.reply is None for op in api.operations)  # 2.x has no reply object


def test_operation_traits_merged_own_fields_win() -> None:
    api = parse_data(LIGHTS)
    receive = api.receives[0]
    assert receive.bindings == {"kafka": {"clientId": {"type": "string"}}}
    send = api.sends[0]
    assert send.summary == "own summary"
    assert send.description == "from trait"


def test_message_traits_and_keys() -> None:
    api = parse_data(LIGHTS)
    by_key = {m.key: m for m in api.messages}
    assert list(by_key) == ["lightMeasured", "turnOn"]  # component keys, not names
    measured, turn_on = by_key["lightMeasured"], by_key["turnOn"]
    assert measured.name == "lightMeasured"
    assert turn_on.name == "turnOnOff"
    assert turn_on.content_type == "application/json"  # own field beats the trait
    assert measured.headers is not None and measured.headers is turn_on.headers
    assert measured.headers.name == "CommonHeaders"
    assert measured.correlation_id is not None
    assert measured.correlation_id.source == "header"
    assert measured.correlation_id.path == ("correlationId",)


def test_schemas_named_after_components_and_shared_once() -> None:
    api = parse_data(LIGHTS)
    names = [s.name for s in api.schemas]
    assert names.count("SentAt") == 1
    measured = next(m for m in api.messages if m.key == "lightMeasured")
    assert measured.payload is not None and measured.payload.name == "LightMeasuredPayload"
    assert measured.payload.schema["properties"]["sentAt"] == {"$ref": "#/$defs/SentAt"}
    turn_on = next(m for m in api.messages if m.key == "turnOn")
    assert turn_on.payload is not None and turn_on.payload.name == "TurnOnPayload"


def test_parameters_from_ref_with_schema() -> None:
    api = parse_data(LIGHTS)
    channel = api.channels[0]
    assert channel.key == channel.address == "lights/{streetlightId}/measured"
    assert channel.servers == ("prod",)
    (param,) = channel.parameters
    assert param.name == "streetlightId" and param.ident == "streetlight_id"
    assert param.enum == ("a", "b") and param.default == "a" and param.pattern == "^[ab]$"
    assert param.location_expr == "$message.payload#/id"
    assert param.schema["type"] == "string"


def test_servers() -> None:
    api = parse_data(LIGHTS)
    prod, mqtt = api.servers
    assert prod.protocol == "kafka" and prod.protocol_version == "3.5"
    assert prod.host == "kafka.example.com:{port}" and prod.pathname == "/base"
    assert prod.url == "kafka.example.com:{port}/base"
    assert prod.variables[0].enum == ("9092", "9093") and prod.variables[0].default == "9092"
    assert prod.security == ("saslScram",)
    assert prod.bindings == {"kafka": {"schemaRegistryUrl": "https://registry"}}
    assert mqtt.host == "broker.example.com" and mqtt.pathname is None


def test_one_of_messages_and_derived_keys() -> None:
    api = parse_data(
        spec(
            channels={
                "chat": {
                    "subscribe": {
                        "message": {
                            "oneOf": [
                                {"payload": {"type": "string"}},
                                {"name": "joined", "payload": {"type": "object"}},
                            ]
                        }
                    }
                }
            }
        )
    )
    (op,) = api.operations
    assert [m.key for m in op.messages] == ["chat_send_message_1", "joined"]
    assert [m.payload.name for m in op.messages if m.payload] == ["ChatSendMessage1Payload", "JoinedPayload"]


def test_inline_messages_with_same_name_get_unique_keys() -> None:
    api = parse_data(
        spec(
            channels={
                "a": {"publish": {"message": {"name": "event", "payload": {"type": "string"}}}},
                "b": {"publish": {"message": {"name": "event", "payload": {"type": "integer"}}}},
            }
        )
    )
    assert [m.key for m in api.messages] == ["event", "event_2"]
    assert len({m.ident for m in api.messages}) == 2
    assert len({m.class_name for m in api.messages}) == 2


def test_undeclared_parameter_is_a_warning_not_a_crash() -> None:
    diagnostics = Diagnostics()
    api = parse_data(
        spec(channels={"a/{x}": {"publish": {"message": {"payload": {"type": "string"}}}}}), diagnostics
    )
    assert [p.name for p in api.channels[0].parameters] == ["x"]
    assert any("{x}" in w.message for w in diagnostics.warnings)


def test_message_schema_format_avro() -> None:
    api = parse_data(
        spec(
            channels={
                "users": {
                    "publish": {
                        "message": {
                            "schemaFormat": "application/vnd.apache.avro;version=1.9.0",
                            "payload": {
                                "type": "record",
                                "name": "User",
                                "fields": [{"name": "name", "type": "string"}],
                            },
                        }
                    }
                }
            }
        ),
        Diagnostics(),
    )
    (message,) = api.messages
    assert message.schema_format == "application/vnd.apache.avro;version=1.9.0"
    assert message.payload is not None
    assert message.payload.source_format == "avro"
    assert message.payload.original is not None


def test_channel_item_shared_by_two_names_gives_distinct_operations() -> None:
    item = {"publish": {"message": {"payload": {"type": "string"}}}}
    api = parse_data(
        spec(
            channels={"a": {"$ref": "#/components/channels/x"}, "b": {"$ref": "#/components/channels/x"}},
            components={"channels": {"x": item}},
        )
    )
    assert [op.key for op in api.operations] == ["a_receive", "b_receive"]
    assert len({op.ident for op in api.operations}) == 2
    assert [op.channel.key for op in api.operations] == ["a", "b"]


RPC_CID = {"location": "$message.header#/correlation_id"}


def rpc_spec(reply_channels: dict[str, Any]) -> dict[str, Any]:
    return spec(
        channels={
            "stock.check": {
                "publish": {
                    "operationId": "checkStock",
                    "message": {"$ref": "#/components/messages/StockCheck"},
                }
            },
            **reply_channels,
        },
        components={
            "messages": {
                "StockCheck": {"correlationId": RPC_CID, "payload": {"type": "object"}},
                "StockLevel": {"correlationId": RPC_CID, "payload": {"type": "object"}},
            }
        },
    )


def reply_channel(op_id: str, location: str = "$message.header#/reply_to") -> dict[str, Any]:
    return {
        "parameters": {"replyQueue": {"schema": {"type": "string"}, "location": location}},
        "subscribe": {"operationId": op_id, "message": {"$ref": "#/components/messages/StockLevel"}},
    }


def test_rpc_reply_to_pattern_becomes_a_reply() -> None:
    api = parse_data(rpc_spec({"{replyQueue}": reply_channel("sendStockLevel")}))
    ops = {op.key: op for op in api.operations}
    check, send = ops["checkStock"], ops["sendStockLevel"]
    assert check.reply is not None
    assert check.reply.channel is send.channel
    assert check.reply.address_expr == "$message.header#/reply_to"
    assert [m.key for m in check.reply.messages] == ["StockLevel"]
    assert send.action == "send" and send.reply is None  # the send operation stays, as declared


def test_rpc_reply_needs_a_header_parameter_that_is_the_whole_address() -> None:
    payload_loc = rpc_spec({"{replyQueue}": reply_channel("sendStockLevel", "$message.payload#/replyTo")})
    prefixed = rpc_spec({"replies.{replyQueue}": reply_channel("sendStockLevel")})
    for data in (payload_loc, prefixed):
        assert all(op.reply is None for op in parse_data(data).operations)


def test_rpc_reply_needs_correlation_ids_on_both_sides() -> None:
    data = rpc_spec({"{replyQueue}": reply_channel("sendStockLevel")})
    del data["components"]["messages"]["StockLevel"]["correlationId"]
    assert all(op.reply is None for op in parse_data(data).operations)


def test_two_fitting_reply_operations_give_no_reply_and_a_warning() -> None:
    data = rpc_spec({"{replyQueue}": reply_channel("sendA"), "{otherQueue}": reply_channel("sendB")})
    data["channels"]["{otherQueue}"]["parameters"] = {
        "otherQueue": data["channels"]["{otherQueue}"]["parameters"]["replyQueue"]
    }
    diagnostics = Diagnostics()
    api = parse_data(data, diagnostics)
    assert all(op.reply is None for op in api.operations)
    assert any("several reply-to operations" in w.message for w in diagnostics.warnings)


def _doubling_layers(depth: int) -> dict[str, Any]:
    """Layer i uses layer i+1 twice: inlined, the parameter schema has ~2**depth nodes."""
    schemas: dict[str, Any] = {f"L{depth}": {"type": "string"}}
    for i in range(depth):
        nxt = {"$ref": f"#/components/schemas/L{i + 1}"}
        schemas[f"L{i}"] = {"type": "object", "properties": {"a": nxt, "b": nxt}}
    return spec(
        channels={
            "things/{id}": {
                "parameters": {"id": {"schema": {"$ref": "#/components/schemas/L0"}}},
                "subscribe": {"message": {"payload": {"type": "string"}}},
            }
        },
        components={"schemas": schemas},
    )


def test_shared_sub_schemas_in_a_parameter_are_inlined_at_each_use() -> None:
    (param,) = parse_data(_doubling_layers(4)).channels[0].parameters
    leaf = param.schema
    for _ in range(4):
        assert leaf["properties"]["a"] == leaf["properties"]["b"]
        leaf = leaf["properties"]["a"]
    assert leaf == {"type": "string"}


def test_a_parameter_schema_that_would_inline_to_billions_of_nodes_is_a_located_error() -> None:
    """Before the budget, depth 40 asked for ~2**40 copies (the process grew to many GB)."""
    with pytest.raises(SpecError) as caught:
        parse_data(_doubling_layers(40))
    message = str(caught.value)
    assert "20,000 nodes when its $refs are inlined" in message
    assert caught.value.location.pointer == "/components/schemas/L0"  # the parameter's schema
    assert "reference each shared sub-schema from one place" in (caught.value.hint or "")
