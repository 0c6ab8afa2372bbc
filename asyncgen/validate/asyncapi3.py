"""AsyncAPI 3.0 and 3.1: the object table."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from asyncgen.document import SeqNode, child_loc
from asyncgen.errors import Location
from asyncgen.validate.hints import (
    V3_MOVED_CHANNEL,
    V3_MOVED_MESSAGE,
    V3_MOVED_OPERATION,
    V3_MOVED_PARAMETER,
    V3_MOVED_SERVER,
)
from asyncgen.validate.objects import RUNTIME, STRINGS, common_kinds
from asyncgen.validate.payload import ANY_SCHEMA
from asyncgen.validate.walker import BOOL, STR, Ctx, Custom, Kind, ListOf, MapOf, Obj, Prim, Version

ACTION = Prim(("string",), enum=("send", "receive"))

V3_MOVED_ROOT = {
    "tags": ("AsyncAPI 3 moved the root `tags` into `info.tags`", ()),
    "externalDocs": ("AsyncAPI 3 moved the root `externalDocs` into `info.externalDocs`", ()),
}


@cache
def kinds(v: Version) -> dict[str, Kind]:
    table = common_kinds(v)
    security = ListOf("securityScheme")
    documented: dict[str, Kind | str] = {"title": STR, "summary": STR, "description": STR}
    docs = {"tags": "tags", "externalDocs": "externalDocs"}

    table["server"] = Obj(
        "Server Object",
        {
            "host": STR,
            "pathname": STR,
            "protocol": STR,
            "protocolVersion": STR,
            "variables": "serverVariables",
            "security": security,
            "bindings": "serverBindings",
            **documented,
            **docs,
        },
        ("host", "protocol"),
        renamed=V3_MOVED_SERVER,
    )
    table["parameter"] = Obj(
        "Parameter Object",
        {"enum": STRINGS, "default": STR, "description": STR, "examples": STRINGS, "location": RUNTIME},
        renamed=V3_MOVED_PARAMETER,
    )
    table["channel"] = Obj(
        "Channel Object",
        {
            "address": Prim(("string", "null")),
            "messages": MapOf("message"),
            "parameters": MapOf("parameter"),
            "servers": ListOf("server", unique=False),
            "bindings": "channelBindings",
            **documented,
            **docs,
        },
        renamed=V3_MOVED_CHANNEL,
    )
    trait: dict[str, Kind | str] = {
        "security": security,
        "bindings": "operationBindings",
        **documented,
        **docs,
    }
    table["operationTrait"] = Obj("Operation Trait Object", trait, renamed=V3_MOVED_OPERATION)
    table["replyAddress"] = Obj(
        "Operation Reply Address Object", {"description": STR, "location": RUNTIME}, ("location",)
    )
    table["reply"] = Obj(
        "Operation Reply Object",
        {"address": "replyAddress", "channel": "channel", "messages": ListOf("message")},
    )
    table["operation"] = Obj(
        "Operation Object",
        {
            **trait,
            "action": ACTION,
            "channel": "channel",
            "messages": ListOf("message"),
            "reply": "reply",
            "traits": ListOf("operationTrait"),
        },
        ("action", "channel"),
        renamed=V3_MOVED_OPERATION,
    )
    message_trait: dict[str, Kind | str] = {
        "contentType": STR,
        "headers": ANY_SCHEMA,
        "correlationId": "correlationId",
        "name": STR,
        "deprecated": BOOL,
        "examples": ListOf("messageExample"),
        "bindings": "messageBindings",
        **documented,
        **docs,
    }
    table["messageTrait"] = Obj("Message Trait Object", message_trait, renamed=V3_MOVED_MESSAGE)
    table["message"] = Obj(
        "Message Object",
        {
            **message_trait,
            "payload": ANY_SCHEMA,
            "traits": ListOf(Custom(_check_message_trait_item, "Message Trait Object")),
        },
        renamed=V3_MOVED_MESSAGE,
    )
    table["components"] = Obj(
        "Components Object",
        {
            "schemas": MapOf(ANY_SCHEMA),
            "servers": MapOf("server"),
            "channels": MapOf("channel"),
            "operations": MapOf("operation"),
            "messages": MapOf("message"),
            "securitySchemes": MapOf("securityScheme"),
            "serverVariables": MapOf("serverVariable"),
            "parameters": MapOf("parameter"),
            "correlationIds": MapOf("correlationId"),
            "replies": MapOf("reply"),
            "replyAddresses": MapOf("replyAddress"),
            "externalDocs": MapOf("externalDocs"),
            "tags": MapOf("tag"),
            "operationTraits": MapOf("operationTrait"),
            "messageTraits": MapOf("messageTrait"),
            "serverBindings": MapOf("serverBindings"),
            "channelBindings": MapOf("channelBindings"),
            "operationBindings": MapOf("operationBindings"),
            "messageBindings": MapOf("messageBindings"),
        },
    )
    table["root"] = Obj(
        "AsyncAPI document",
        {
            "asyncapi": STR,
            "id": STR,
            "info": "info",
            "servers": MapOf("server"),
            "defaultContentType": STR,
            "channels": MapOf("channel"),
            "operations": MapOf("operation"),
            "components": "components",
        },
        ("asyncapi", "info"),
        renamed=V3_MOVED_ROOT,
    )
    return table


def _check_message_trait_item(ctx: Ctx, value: Any, where: Location, label: str) -> None:
    """A message trait, or the ``[trait, {overrides}]`` pair the 3.x schema also allows."""
    if isinstance(value, list):
        if len(value) >= 1:
            first = child_loc(value, 0) if isinstance(value, SeqNode) else where.child(0)
            ctx.check("messageTrait", value[0], first, f"{label}[0]")
        if len(value) >= 2 and not isinstance(value[1], Mapping):
            second = child_loc(value, 1) if isinstance(value, SeqNode) else where.child(1)
            ctx.error(f"`{label}[1]` must be an object", second, node=value)
        return
    ctx.check("messageTrait", value, where, label)
