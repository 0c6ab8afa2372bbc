"""AsyncAPI 2.0-2.6 -> IR.

Version quirks that end here:

* ``publish`` means *other* applications publish to the channel, so the described
  application **receives**; ``subscribe`` means it **sends**.
* An operation's key is its ``operationId``, else ``<channel ident>_<action>``.
* ``message.oneOf`` lists several messages; a message's key is its components key
  when it is a component, else ``messageId`` (2.4+), else the last segment of the
  ``$ref`` that reached it, else ``name``, else ``<channel>_<action>_message[_n]``.
  Keys are unique per Api (a clash gets ``_2``).
* Operation and message traits are merged (JSON Merge Patch, own fields win).
* ``message.schemaFormat`` applies to the payload only (headers are always AsyncAPI
  Schema Objects).
* Servers: ``url`` as written; ``host``/``pathname`` are split from it.
* 2.x has no reply object: request/reply is only implied by ``correlationId`` (the
  correlation id stays on the Message). One pattern is recognised as a ``Reply`` - the
  2.x RPC reply-to convention (e.g. AMQP ``reply_to``):

  - a **receive** (``publish``) operation whose messages all have a ``correlationId``,
  - a **send** (``subscribe``) operation on a channel whose address is exactly one
    parameter (``{replyQueue}``) with ``location: $message.header#/...`` (the request's
    reply-to header), whose messages all have a ``correlationId`` at a location the
    request's messages use too.

  When exactly one send operation fits a receive operation, that receive operation gets
  ``Reply(channel=<the send's channel>, address_expr=<the parameter's location>,
  messages=<the send's messages>)``; with several it gets none (ambiguous, warned). The
  send operation stays, as the spec declares it (the app can still publish it to a named
  queue); a client generated with ``role=client`` covers it with ``request_...()`` and
  does not subscribe to it (see ``asyncgen.context``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from asyncgen.document import Document
from asyncgen.errors import Diagnostics
from asyncgen.model import Api, Channel, Operation, Parameter, Reply, Server
from asyncgen.naming import Namer
from asyncgen.parse.common import (
    Context,
    Prepared,
    api_header,
    apply_traits,
    extensions,
    loc,
    mapping,
    parameter_names,
    requirement_names,
    scalar_str,
    seq,
    server_variables,
    tag_names,
    text,
)
from asyncgen.parse.dialect import plain
from asyncgen.parse.schema_graph import ref_name

VERBS = {"publish": "receive", "subscribe": "send"}


def parse(doc: Document, diagnostics: Diagnostics) -> Api:
    ctx = Context(doc, diagnostics)
    root = doc.root
    server_idents = Namer()
    servers = tuple(_server(key, node, server_idents) for key, node in _servers(root))

    # pass 1: every message, in spec order, so schemas are known before any is named
    channel_idents = Namer()
    plans: list[tuple[str, Any, str, list[tuple[str, Any, list[Prepared]]]]] = []
    for name, node in mapping(root, "channels").items():
        if not isinstance(node, Mapping):
            continue
        cid = channel_idents.name(str(name), key=("channel", str(name)))
        ops = []
        for verb in node:
            if verb not in VERBS or not isinstance(node[verb], Mapping):
                continue
            action = VERBS[verb]
            op = apply_traits(node[verb])
            ops.append((action, op, _messages(ctx, op.get("message"), cid, action)))
        plans.append((str(name), node, cid, ops))
    ctx.finalize()

    # pass 2: build the IR
    op_idents = Namer()
    channels: list[Channel] = []
    operations: list[Operation] = []
    for name, node, cid, ops in plans:
        seen: dict[int, Any] = {}
        for _, _, prepared in ops:
            for p in prepared:
                seen.setdefault(id(p), ctx.message(p))
        channel = Channel(
            key=name,
            ident=cid,
            address=name,
            parameters=_parameters(ctx, name, node),
            messages=tuple(seen.values()),
            servers=tuple(str(s) for s in seq(node, "servers")),
            description=text(node, "description"),
            bindings=plain(mapping(node, "bindings")),
            location=loc(node),
            extensions=extensions(node),
        )
        channels.append(channel)
        for action, op, prepared in ops:
            op_id = text(op, "operationId") or f"{cid}_{action}"
            memo = ("operation", name, action)  # one channel item may be shared by two channel names
            key = ctx.unique_key("operation", op_id, memo)
            operations.append(
                Operation(
                    key=key,
                    ident=op_idents.name(key, key=memo),
                    action="send" if action == "send" else "receive",
                    channel=channel,
                    messages=tuple(ctx.message(p) for p in prepared),
                    summary=text(op, "summary"),
                    description=text(op, "description"),
                    bindings=plain(mapping(op, "bindings")),
                    security=requirement_names(op.get("security")),
                    tags=tag_names(op),
                    location=loc(op),
                    extensions=extensions(op),
                )
            )
    operations = _rpc_replies(operations, ctx.diagnostics)
    return Api(
        family="asyncapi",
        default_content_type=text(root, "defaultContentType") or "application/json",
        servers=servers,
        channels=tuple(channels),
        operations=tuple(operations),
        schemas=ctx.schemas.defs,
        **api_header(doc),
    )


def _reply_to_parameter(channel: Channel) -> Parameter | None:
    """The channel's only parameter when its address is just ``{it}`` and it is read from a header."""
    if len(channel.parameters) != 1:
        return None
    param = channel.parameters[0]
    expr = param.location_expr or ""
    if channel.address != "{" + param.name + "}" or not expr.startswith("$message.header#/"):
        return None
    return param


def _correlation_locations(op: Operation) -> frozenset[str] | None:
    """Where ``op``'s messages carry their correlation id; None unless every message has one."""
    if not op.messages or any(m.correlation_id is None for m in op.messages):
        return None
    return frozenset(m.correlation_id.location_expr for m in op.messages if m.correlation_id is not None)


def _rpc_replies(operations: list[Operation], diagnostics: Diagnostics) -> list[Operation]:
    """Give receive operations their 2.x RPC ``Reply`` (the rule is in the module docstring)."""
    replies = []
    for op in operations:
        param = _reply_to_parameter(op.channel) if op.action == "send" else None
        where = _correlation_locations(op) if param is not None else None
        if param is not None and where is not None:
            replies.append((op, param, where))
    if not replies:
        return operations
    out = []
    for op in operations:
        request = _correlation_locations(op) if op.action == "receive" else None
        fits = [(r, p) for r, p, where in replies if request is not None and where <= request]
        if len(fits) == 1:
            send, param = fits[0]
            reply = Reply(
                channel=send.channel,
                address_expr=param.location_expr,
                messages=send.messages,
                description=send.description or send.summary,
            )
            out.append(dataclasses.replace(op, reply=reply))
            continue
        if len(fits) > 1:
            diagnostics.warn(
                f"operation {op.key!r}: several reply-to operations fit it "
                f"({', '.join(repr(r.key) for r, _ in fits)}), so it gets no reply",
                op.location,
            )
        out.append(op)
    return out


def _servers(root: Any) -> list[tuple[str, Any]]:
    return [(str(k), v) for k, v in mapping(root, "servers").items() if isinstance(v, Mapping)]


def _messages(ctx: Context, value: Any, cid: str, action: str) -> list[Prepared]:
    if not isinstance(value, Mapping):
        return []
    one_of = value.get("oneOf")
    if isinstance(one_of, list) and "payload" not in value:
        nodes = [m for m in one_of if isinstance(m, Mapping)]
    else:
        nodes = [value]
    out = []
    for index, node in enumerate(nodes):
        derived = f"{cid}_{action}_message" + (f"_{index + 1}" if len(nodes) > 1 else "")
        out.append(ctx.prepare_message(node, _message_key(ctx, node, derived), _split))
    return out


def _message_key(ctx: Context, node: Any, derived: str) -> str:
    comp = ctx.component_key("messages", node)
    if comp:
        return comp
    merged = apply_traits(node)
    ref = getattr(node, "ref", None)
    return (
        text(merged, "messageId")
        or (ref_name(ref) if isinstance(ref, str) else None)
        or text(merged, "name")
        or derived
    )


def _split(node: Any, merged: Any) -> tuple[Any, str | None, Any, str | None]:
    fmt = merged.get("schemaFormat")
    return merged.get("payload"), fmt if isinstance(fmt, str) else None, merged.get("headers"), None


def _parameters(ctx: Context, address: str, node: Any) -> tuple[Parameter, ...]:
    declared = mapping(node, "parameters")
    names = parameter_names(address, declared, loc(node), ctx.diagnostics)
    idents = Namer()
    out = []
    for name in names:
        param = declared.get(name)
        if not isinstance(param, Mapping):
            param = {}
        schema = param.get("schema")
        schema_map: Mapping[str, Any] = schema if isinstance(schema, Mapping) else {}
        default = schema_map.get("default")
        pattern = schema_map.get("pattern")
        out.append(
            Parameter(
                name=name,
                ident=idents.name(name),
                description=text(param, "description"),
                enum=tuple(scalar_str(v) for v in seq(schema_map, "enum")),
                default=None if default is None else scalar_str(default),
                pattern=pattern if isinstance(pattern, str) else None,
                examples=tuple(scalar_str(v) for v in seq(schema_map, "examples")),
                location_expr=text(param, "location"),
                schema=ctx.inline_schema(schema) if schema is not None else {},
                location=loc(param, loc(node)),
            )
        )
    return tuple(out)


def _server(key: str, node: Any, idents: Namer) -> Server:
    url = text(node, "url") or ""
    rest = url.split("://", 1)[1] if "://" in url else url
    host, slash, path = rest.partition("/")
    return Server(
        key=key,
        ident=idents.name(key),
        protocol=(text(node, "protocol") or "").lower(),
        protocol_version=None if node.get("protocolVersion") is None else scalar_str(node["protocolVersion"]),
        host=host,
        pathname=("/" + path) if slash else None,
        url=url,
        variables=server_variables(node),
        description=text(node, "description"),
        security=requirement_names(node.get("security")),
        bindings=plain(mapping(node, "bindings")),
        tags=tag_names(node),
        location=loc(node),
    )
