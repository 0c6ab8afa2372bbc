"""Objects both AsyncAPI families share (with per-version differences).

``common_kinds(version)`` returns the named kinds: info, contact, license, tag,
externalDocs, server variables, correlation ids, security schemes, message
examples, schemas and bindings. The 2.x and 3.x tables add their own on top.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asyncgen.document import MapNode, child_loc, loc_of
from asyncgen.errors import Location
from asyncgen.validate.hints import RUNTIME_EXPRESSION_HINT, did_you_mean
from asyncgen.validate.schema import ASYNCAPI_SCHEMA
from asyncgen.validate.walker import (
    ANY,
    BOOL,
    EXTENSION,
    INT,
    OBJECT,
    STR,
    Ctx,
    Custom,
    Kind,
    ListOf,
    MapOf,
    Obj,
    Prim,
    Version,
    json_type,
    type_error,
)

RUNTIME_EXPRESSION = r"^\$message\.(header|payload)#(/(([^/~])|(~[01]))*)*"
RUNTIME = Prim(("string",), pattern=RUNTIME_EXPRESSION, pattern_hint=RUNTIME_EXPRESSION_HINT)
STRINGS = ListOf(STR, what="an array of strings")
UNIQUE_STRINGS = ListOf(STR, unique=True, what="an array of strings")
COMPONENT_KEY = r"^[\w\d.\-_]+$"
COMPONENT_KEY_HINT = "component names may use letters, digits, `.`, `-` and `_` only"

SASL_TYPES = ("plain", "scramSha256", "scramSha512", "gssapi")


def components_map(kind: Kind | str) -> MapOf:
    return MapOf(kind, key_pattern=COMPONENT_KEY, key_hint=COMPONENT_KEY_HINT)


def common_kinds(v: Version) -> dict[str, Kind]:
    v3 = v >= (3, 0, 0)
    ext_docs_or_ref = "externalDocs"
    kinds: dict[str, Kind] = {
        "contact": Obj("Contact Object", {"name": STR, "url": STR, "email": STR}),
        "license": Obj("License Object", {"name": STR, "url": STR}, required=("name",)),
        "externalDocs": Obj(
            "External Documentation Object", {"description": STR, "url": STR}, required=("url",)
        ),
        "tag": Obj(
            "Tag Object", {"name": STR, "description": STR, "externalDocs": ext_docs_or_ref}, ("name",)
        ),
        "serverVariable": Obj(
            "Server Variable Object",
            {"enum": UNIQUE_STRINGS, "default": STR, "description": STR, "examples": STRINGS},
        ),
        "correlationId": Obj(
            "Correlation ID Object", {"description": STR, "location": RUNTIME}, required=("location",)
        ),
        "schema": ASYNCAPI_SCHEMA,
        "securityScheme": Custom(check_security_scheme, "Security Scheme Object"),
        "messageExample": Custom(check_message_example, "Message Example Object"),
    }
    kinds["tags"] = ListOf("tag", unique=True)
    info_fields: dict[str, Kind | str] = {
        "title": STR,
        "version": STR,
        "description": STR,
        "termsOfService": STR,
        "contact": "contact",
        "license": "license",
    }
    if v3:
        info_fields |= {"tags": "tags", "externalDocs": "externalDocs"}
    kinds["info"] = Obj("Info Object", info_fields, required=("title", "version"))
    kinds["serverVariables"] = MapOf("serverVariable")
    for level in ("server", "channel", "operation", "message"):
        kinds[f"{level}Bindings"] = Custom(_bindings_check(level, v3), "Bindings Object")
    return kinds


# -- security -----------------------------------------------------------------------------------------


def _security_types(v: Version) -> tuple[str, ...]:
    base = (
        "userPassword", "apiKey", "X509", "symmetricEncryption", "asymmetricEncryption",
        "httpApiKey", "http", "oauth2", "openIdConnect",
    )  # fmt: skip
    return (*base, *SASL_TYPES) if v >= (2, 1, 0) else base


def check_security_scheme(ctx: Ctx, value: Any, where: Location, label: str) -> None:
    if not isinstance(value, Mapping):
        type_error(ctx, value, where, label, "a Security Scheme Object (a mapping)")
        return
    if not ctx.first_visit(value, "Security Scheme Object"):
        return
    at = loc_of(value, where)
    kind = value.get("type")
    types = _security_types(ctx.version)
    if "type" not in value:
        ctx.error("Security Scheme Object is missing required field `type`", at, "types: " + ", ".join(types))
        return
    if kind not in types:
        type_at = child_loc(value, "type") if isinstance(value, MapNode) else at
        hint = did_you_mean(str(kind), types) or "types: " + ", ".join(types)
        ctx.error(f"security scheme `type` {kind!r} is not one AsyncAPI defines", type_at, hint, node=value)
        return
    v3 = ctx.version >= (3, 0, 0)
    fields: dict[str, Kind | str] = {"type": STR, "description": STR}
    required: tuple[str, ...] = ()
    if kind == "apiKey":
        fields["in"] = Prim(("string",), enum=("user", "password"))
        required = ("in",)
    elif kind == "httpApiKey":
        fields |= {"name": STR, "in": Prim(("string",), enum=("query", "header", "cookie"))}
        required = ("name", "in")
    elif kind == "http":
        fields |= {"scheme": STR, "bearerFormat": STR}
        required = ("scheme",)
    elif kind == "oauth2":
        fields["flows"] = _flows_kind(v3)
        required = ("flows",)
        if v3:
            fields["scopes"] = STRINGS
    elif kind == "openIdConnect":
        fields["openIdConnectUrl"] = STR
        required = ("openIdConnectUrl",)
        if v3:
            fields["scopes"] = STRINGS
    # the official schemas accept any extra key on an oauth2 scheme: we warn rather than reject
    unknown = "warning" if kind == "oauth2" else "error"
    Obj(f"{kind} security scheme", fields, required, unknown=unknown).check(ctx, value, where, label)


def _flows_kind(v3: bool) -> Obj:
    scopes = "availableScopes" if v3 else "scopes"
    scope_map = MapOf(STR)
    auth = {"authorizationUrl": STR}
    token = {"tokenUrl": STR}
    common: dict[str, Kind | str] = {"refreshUrl": STR, scopes: scope_map}
    flows: dict[str, Kind | str] = {
        "implicit": Obj("OAuth Flow Object (implicit)", {**auth, **common}, ("authorizationUrl", scopes)),
        "password": Obj("OAuth Flow Object (password)", {**token, **common}, ("tokenUrl", scopes)),
        "clientCredentials": Obj(
            "OAuth Flow Object (clientCredentials)", {**token, **common}, ("tokenUrl", scopes)
        ),
        "authorizationCode": Obj(
            "OAuth Flow Object (authorizationCode)",
            {**auth, **token, **common},
            ("authorizationUrl", "tokenUrl", scopes),
        ),
    }
    return Obj("OAuth Flows Object", flows, extensions=False)


# -- message examples ---------------------------------------------------------------------------------


def check_message_example(ctx: Ctx, value: Any, where: Location, label: str) -> None:
    """2.0: ``{headers, payload}``; 2.1+: also ``name``/``summary``, and one of payload/headers is required.

    (The official schemas allow no ``x-`` extensions here, and neither do we.)
    """
    fields: dict[str, Kind | str] = {"headers": OBJECT, "payload": ANY}
    if ctx.version >= (2, 1, 0):
        fields |= {"name": STR, "summary": STR}
    before = len(ctx.errors)
    Obj("Message Example Object", fields, extensions=False).check(ctx, value, where, label)
    if ctx.version < (2, 1, 0) or not isinstance(value, Mapping) or len(ctx.errors) != before:
        return
    if "payload" not in value and "headers" not in value:
        ctx.error(
            "a message example needs `payload` or `headers` (or both)", loc_of(value, where), node=value
        )


# -- bindings -----------------------------------------------------------------------------------------

SCHEMA_LOOSE = Prim(("object", "boolean"))  # binding schemas may be Avro (ADEO's Kafka key): shape only
SCHEMA_OR_STR = Prim(("object", "boolean", "string"))  # kafka groupId/clientId were strings before 0.3.0
PROTOCOLS = (
    "http", "ws", "amqp", "amqp1", "mqtt", "mqtt5", "kafka", "anypointmq", "nats", "jms", "sns", "sqs",
    "stomp", "redis", "ibmmq", "solace", "googlepubsub", "pulsar", "ros2",
)  # fmt: skip

_B = dict[str, Kind | str]
_BINDING_FIELDS: dict[str, dict[str, _B]] = {
    "kafka": {
        "server": {"schemaRegistryUrl": STR, "schemaRegistryVendor": STR},
        "channel": {"topic": STR, "partitions": INT, "replicas": INT, "topicConfiguration": OBJECT},
        "operation": {"groupId": SCHEMA_OR_STR, "clientId": SCHEMA_OR_STR},
        "message": {
            "key": SCHEMA_LOOSE,
            "schemaIdLocation": STR,
            "schemaIdPayloadEncoding": STR,
            "schemaLookupStrategy": STR,
        },
    },
    "amqp": {
        "channel": {
            "is": Prim(("string",), enum=("queue", "routingKey")),
            "exchange": OBJECT,
            "queue": OBJECT,
        },
        "operation": {
            "expiration": INT,
            "userId": STR,
            "cc": STRINGS,
            "priority": INT,
            "deliveryMode": Prim(("integer",), enum=(1, 2)),
            "mandatory": BOOL,
            "bcc": STRINGS,
            "replyTo": STR,
            "timestamp": BOOL,
            "ack": BOOL,
        },
        "message": {"contentEncoding": STR, "messageType": STR},
    },
    "mqtt": {
        "server": {
            "clientId": STR,
            "cleanSession": BOOL,
            "lastWill": OBJECT,
            "keepAlive": INT,
            "sessionExpiryInterval": Prim(("integer", "object")),
            "maximumPacketSize": Prim(("integer", "object")),
        },
        "operation": {
            "qos": Prim(("integer",), enum=(0, 1, 2)),
            "retain": BOOL,
            "messageExpiryInterval": Prim(("integer", "object")),
        },
        "message": {
            "payloadFormatIndicator": Prim(("integer",), enum=(0, 1)),
            "correlationData": SCHEMA_LOOSE,
            "contentType": STR,
            "responseTopic": Prim(("string", "object")),
        },
    },
    "nats": {"operation": {"queue": STR}},
    "ws": {
        "channel": {"method": Prim(("string",), enum=("GET", "POST")), "query": OBJECT, "headers": OBJECT}
    },
    "http": {
        "operation": {"type": STR, "method": STR, "query": OBJECT},
        "message": {"headers": OBJECT, "statusCode": INT},
    },
    "redis": {},
}


def _bindings_check(level: str, v3: bool) -> Any:
    def check(ctx: Ctx, value: Any, where: Location, label: str) -> None:
        if not isinstance(value, Mapping):
            type_error(ctx, value, where, label, "a Bindings Object (a mapping of protocol -> binding)")
            return
        if not ctx.first_visit(value, f"{level} bindings"):
            return
        for protocol, binding in value.items():
            at = child_loc(value, protocol) if isinstance(value, MapNode) else where.child(protocol)
            if EXTENSION.match(protocol):
                continue
            if protocol not in PROTOCOLS:
                if v3:
                    key_at = value.key_loc(protocol) if isinstance(value, MapNode) else at
                    ctx.warn(
                        f"`{protocol}` is not a protocol binding AsyncAPI defines; asyncgen ignores it",
                        key_at,
                        did_you_mean(protocol, PROTOCOLS),
                    )
                continue
            fields = _BINDING_FIELDS.get(protocol, {}).get(level)
            if fields is None:
                continue
            _check_binding(ctx, f"{protocol} {level}", fields, binding, at)

    return check


def _check_binding(ctx: Ctx, what: str, fields: _B, binding: Any, at: Location) -> None:
    if not isinstance(binding, Mapping):
        ctx.error(f"the {what} binding must be an object, not {json_type(binding)}", at, node=binding)
        return
    for key, item in binding.items():
        item_at = child_loc(binding, key) if isinstance(binding, MapNode) else at.child(key)
        if key == "bindingVersion":
            STR.check(ctx, item, item_at, key)
        elif key in fields:
            ctx.check(fields[key], item, item_at, key)
        elif not EXTENSION.match(key):
            key_at = binding.key_loc(key) if isinstance(binding, MapNode) else item_at
            ctx.warn(
                f"`{key}` is not a field of the {what} binding asyncgen knows",
                key_at,
                did_you_mean(key, [*fields, "bindingVersion"]),
            )
