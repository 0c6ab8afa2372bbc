"""AsyncAPI 2.0-2.6: the object table, version by version."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from asyncgen.document import MapNode, child_loc, loc_of
from asyncgen.errors import Location
from asyncgen.validate.hints import V2_FROM_V3_CHANNEL, V2_FROM_V3_ROOT, V2_FROM_V3_SERVER
from asyncgen.validate.objects import RUNTIME, UNIQUE_STRINGS, common_kinds
from asyncgen.validate.payload import HEADERS_2, check_payload
from asyncgen.validate.walker import BOOL, STR, Ctx, Custom, Kind, ListOf, MapOf, Obj, Version, type_error


@cache
def kinds(v: Version) -> dict[str, Kind]:
    table = common_kinds(v)
    table["securityRequirement"] = MapOf(UNIQUE_STRINGS, what="a Security Requirement Object")
    security = ListOf("securityRequirement")

    server: dict[str, Kind | str] = {
        "url": STR,
        "protocol": STR,
        "protocolVersion": STR,
        "description": STR,
        "variables": "serverVariables",
        "security": security,
        "bindings": "serverBindings",
    }
    if v >= (2, 5, 0):
        server["tags"] = "tags"
    table["server"] = Obj("Server Object", server, ("url", "protocol"), renamed=V2_FROM_V3_SERVER)

    parameter: dict[str, Kind | str] = {"description": STR, "schema": "schema", "location": RUNTIME}
    table["parameter"] = Obj("Parameter Object", parameter)

    channel: dict[str, Kind | str] = {
        "description": STR,
        "subscribe": "operation",
        "publish": "operation",
        "parameters": MapOf("parameter"),
        "bindings": "channelBindings",
        "deprecated": BOOL,
    }
    if v >= (2, 2, 0):
        channel["servers"] = UNIQUE_STRINGS
    table["channel"] = Obj("Channel Item Object", channel, renamed=V2_FROM_V3_CHANNEL)

    trait: dict[str, Kind | str] = {
        "operationId": STR,
        "summary": STR,
        "description": STR,
        "tags": "tags",
        "externalDocs": "externalDocs",
        "bindings": "operationBindings",
    }
    if v >= (2, 4, 0):
        trait["security"] = security
    table["operationTrait"] = Obj("Operation Trait Object", trait)
    table["operation"] = Obj(
        "Operation Object", {**trait, "traits": ListOf("operationTrait"), "message": "message"}
    )

    message_trait: dict[str, Kind | str] = {
        "schemaFormat": STR,
        "contentType": STR,
        "headers": HEADERS_2,
        "correlationId": "correlationId",
        "tags": "tags",
        "summary": STR,
        "name": STR,
        "title": STR,
        "description": STR,
        "externalDocs": "externalDocs",
        "deprecated": BOOL,
        "examples": ListOf("messageExample"),
        "bindings": "messageBindings",
    }
    if v >= (2, 4, 0):
        message_trait["messageId"] = STR
    table["messageTrait"] = Obj("Message Trait Object", message_trait)
    table["messageObject"] = Obj(
        "Message Object",
        {**message_trait, "payload": Custom(_no_check), "traits": ListOf("messageTrait")},
        after=(_check_message_payload,),
    )
    table["message"] = Custom(_check_message, "Message Object")

    components: dict[str, Kind | str] = {
        "schemas": MapOf("schema"),
        "messages": MapOf("message"),
        "securitySchemes": MapOf("securityScheme"),
        "parameters": MapOf("parameter"),
        "correlationIds": MapOf("correlationId"),
        "operationTraits": MapOf("operationTrait"),
        "messageTraits": MapOf("messageTrait"),
        "serverBindings": MapOf("serverBindings"),
        "channelBindings": MapOf("channelBindings"),
        "operationBindings": MapOf("operationBindings"),
        "messageBindings": MapOf("messageBindings"),
    }
    if v >= (2, 3, 0):
        components |= {"servers": MapOf("server"), "channels": MapOf("channel")}
    if v >= (2, 4, 0):
        components["serverVariables"] = MapOf("serverVariable")
    table["components"] = Obj("Components Object", components)

    table["root"] = Obj(
        "AsyncAPI document",
        {
            "asyncapi": STR,
            "id": STR,
            "info": "info",
            "servers": MapOf("server"),
            "defaultContentType": STR,
            "channels": MapOf("channel"),
            "components": "components",
            "tags": "tags",
            "externalDocs": "externalDocs",
        },
        ("asyncapi", "info", "channels"),
        renamed=V2_FROM_V3_ROOT,
    )
    return table


def _no_check(ctx: Ctx, value: Any, where: Location, label: str) -> None:
    return None


def _check_message(ctx: Ctx, value: Any, where: Location, label: str) -> None:
    """A Message Object, or ``{oneOf: [messages]}`` - one error for whichever the author meant."""
    if isinstance(value, Mapping) and "oneOf" in value:
        at = loc_of(value, where)
        extra = [k for k in value if k != "oneOf"]
        if extra:
            key_at = value.key_loc(extra[0]) if isinstance(value, MapNode) else at
            ctx.error(
                f"a message with `oneOf` cannot have other fields ({', '.join(f'`{k}`' for k in extra)})",
                key_at,
                "write `message: {oneOf: [<message>, <message>]}` and put fields inside each message",
                node=value,
            )
        items = value["oneOf"]
        items_at = child_loc(value, "oneOf") if isinstance(value, MapNode) else at.child("oneOf")
        if not isinstance(items, list):
            type_error(ctx, items, items_at, "oneOf", "an array of messages")
            return
        ListOf("message").check(ctx, items, items_at, "oneOf")
        return
    ctx.check("messageObject", value, where, label)


def _check_message_payload(ctx: Ctx, node: MapNode, where: Location) -> None:
    if "payload" in node:
        at = child_loc(node, "payload") if isinstance(node, MapNode) else where.child("payload")
        check_payload(ctx, node["payload"], node.get("schemaFormat"), at, "payload")
