"""AsyncAPI 3.0 and 3.1 -> IR.

* Channels by id; ``address`` may be null or missing (dynamic, e.g. a reply inbox)
  -> ``Channel.address = None``. A message's key is its key in the channel's
  ``messages`` map (keys unique per Api; a clash between different messages gets
  ``_2``). Parameters have no schema in 3.x: enum/default/description/examples/
  location only.
* Operations: ``action`` as written; ``channel`` resolved by identity; ``messages``
  omitted = all of the channel's messages; traits merged (own fields win).
* ``reply``: a channel (by identity) and/or ``address.location`` (a runtime
  expression); reply messages omitted = all of the reply channel's messages.
* Payloads and headers may be Multi Format Schema Objects ``{schemaFormat,
  schema}``. 3.1 differences (from the official 3.0.0 vs 3.1.0 JSON Schemas): the
  Multi Format Schema's ``schemaFormat`` may be omitted (defaults to the AsyncAPI
  format) and may name older AsyncAPI schema versions; example payloads may be
  any JSON value; ROS 2 bindings exist and binding objects accept unknown keys.
  Operations, replies, channels and parameters are unchanged - so one parser.
* Servers: ``host``/``pathname``/``protocol``; ``url`` = ``protocol://host/pathname``.
  Security entries are Security Scheme Objects (refs) -> their components keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from asyncgen.document import Document
from asyncgen.errors import Diagnostics
from asyncgen.model import Api, Channel, Message, Operation, Parameter, Reply, Server
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
    scalar_str,
    seq,
    server_variables,
    split_multiformat,
    tag_names,
    text,
)
from asyncgen.parse.dialect import plain
from asyncgen.parse.schema_graph import ref_name


@dataclass
class _ChannelPlan:
    key: str
    node: Any
    ident: str
    messages: list[Prepared] = field(default_factory=list)
    built: Channel | None = None


@dataclass
class _OpPlan:
    key: str
    node: Any  # traits applied
    channel: _ChannelPlan
    messages: list[Prepared]
    reply_channel: _ChannelPlan | None = None
    reply_messages: list[Prepared] | None = None
    has_reply: bool = False


class _Parser:
    def __init__(self, doc: Document, diagnostics: Diagnostics) -> None:
        self.ctx = Context(doc, diagnostics)
        self.root = doc.root
        self.channel_idents = Namer()
        self.channels: list[_ChannelPlan] = []
        self.by_node: dict[int, _ChannelPlan] = {}

    def run(self) -> Api:
        ctx = self.ctx
        for key, node in mapping(self.root, "channels").items():
            if isinstance(node, Mapping):
                self._channel(str(key), node, root_entry=True)
        ops = [
            self._operation(str(key), node)
            for key, node in mapping(self.root, "operations").items()
            if isinstance(node, Mapping)
        ]
        ctx.finalize()
        for plan in self.channels:
            self._build_channel(plan)
        idents = Namer()
        operations = []
        for op in ops:
            node = op.node
            channel = self._build_channel(op.channel)
            reply = None
            if op.has_reply:
                reply_node = node.get("reply")
                address = mapping(reply_node, "address")
                reply_channel = self._build_channel(op.reply_channel) if op.reply_channel else None
                reply = Reply(
                    channel=reply_channel,
                    address_expr=text(address, "location"),
                    messages=tuple(ctx.message(p) for p in (op.reply_messages or [])),
                    description=text(address, "description"),
                )
            operations.append(
                Operation(
                    key=op.key,
                    ident=idents.name(op.key, key=id(op)),
                    action="send" if node.get("action") == "send" else "receive",
                    channel=channel,
                    messages=tuple(ctx.message(p) for p in op.messages),
                    title=text(node, "title"),
                    summary=text(node, "summary"),
                    description=text(node, "description"),
                    reply=reply,
                    bindings=plain(mapping(node, "bindings")),
                    security=ctx.security_names(node.get("security")),
                    tags=tag_names(node),
                    location=loc(node),
                    extensions=extensions(node),
                )
            )
        server_idents = Namer()
        servers = tuple(
            _server(ctx, str(key), node, server_idents)
            for key, node in mapping(self.root, "servers").items()
            if isinstance(node, Mapping)
        )
        return Api(
            family="asyncapi",
            default_content_type=text(self.root, "defaultContentType") or "application/json",
            servers=servers,
            channels=tuple(p.built for p in self.channels if p.built is not None),
            operations=tuple(operations),
            schemas=ctx.schemas.defs,
            **api_header(ctx.doc),
        )

    # ------------------------------------------------------------------ pass 1
    def _channel(self, key: str, node: Any, *, root_entry: bool = False) -> _ChannelPlan:
        known = self.by_node.get(id(node))
        if known is not None and not root_entry:
            return known
        if known is not None:
            self.ctx.diagnostics.warn(
                f"channels {known.key!r} and {key!r} are the same object; operations referring to it "
                f"use {known.key!r}",
                loc(node),
            )
        memo = ("channel", key)
        key = self.ctx.unique_key("channel", key, memo)
        plan = _ChannelPlan(key, node, self.channel_idents.name(key, key=memo))
        self.by_node.setdefault(id(node), plan)
        self.channels.append(plan)
        for msg_key, msg in mapping(node, "messages").items():
            if isinstance(msg, Mapping):
                plan.messages.append(self.ctx.prepare_message(msg, str(msg_key), _split))
        return plan

    def _channel_of(self, value: Any, where: Any, what: str) -> _ChannelPlan | None:
        if not isinstance(value, Mapping):
            return None
        plan = self.by_node.get(id(value))
        if plan is None:
            ref = getattr(value, "ref", None)
            key = (
                self.ctx.component_key("channels", value)
                or (ref_name(ref) if isinstance(ref, str) else None)
                or what
            )
            self.ctx.diagnostics.warn(
                f"{what} refers to a channel that is not under the root `channels`; added as {key!r}",
                loc(value, loc(where)),
                hint="reference channels as '#/channels/<id>'",
            )
            plan = self._channel(key, value)
        return plan

    def _pick(self, refs: Any, channel: _ChannelPlan | None, where: Any, what: str) -> list[Prepared]:
        if not isinstance(refs, list):
            return list(channel.messages) if channel else []
        out = []
        for msg in refs:
            if not isinstance(msg, Mapping):
                continue
            prepared = next((p for p in channel.messages if p.original is msg), None) if channel else None
            if prepared is None:
                ref = getattr(msg, "ref", None)
                key = (
                    self.ctx.component_key("messages", msg)
                    or (ref_name(ref) if isinstance(ref, str) else None)
                    or text(msg, "name")
                    or f"{what}_message"
                )
                if channel is not None:
                    self.ctx.diagnostics.warn(
                        f"{what}: message {key!r} is not one of channel {channel.key!r}'s messages",
                        loc(msg, loc(where)),
                    )
                prepared = self.ctx.prepare_message(msg, key, _split)
            out.append(prepared)
        return out

    def _operation(self, key: str, raw: Any) -> _OpPlan:
        node = apply_traits(raw)
        key = self.ctx.unique_key("operation", key, raw)
        channel = self._channel_of(node.get("channel"), node, key)
        if channel is None:
            self.ctx.diagnostics.warn(f"operation {key!r} has no channel; skipped", loc(node))
            channel = self._channel(f"{key}_channel", {})
        plan = _OpPlan(key, node, channel, self._pick(node.get("messages"), channel, node, key))
        reply = node.get("reply")
        if isinstance(reply, Mapping):
            plan.has_reply = True
            plan.reply_channel = self._channel_of(reply.get("channel"), reply, f"{key}_reply")
            plan.reply_messages = self._pick(reply.get("messages"), plan.reply_channel, reply, f"{key}_reply")
        return plan

    # ------------------------------------------------------------------ pass 2
    def _build_channel(self, plan: _ChannelPlan) -> Channel:
        if plan.built is not None:
            return plan.built
        node = plan.node
        address = node.get("address")
        seen: dict[int, Message] = {}
        for p in plan.messages:
            seen.setdefault(id(p), self.ctx.message(p))
        plan.built = Channel(
            key=plan.key,
            ident=plan.ident,
            address=address if isinstance(address, str) else None,
            parameters=_parameters(node, address if isinstance(address, str) else None, self.ctx),
            messages=tuple(seen.values()),
            servers=tuple(self._server_key(s) for s in seq(node, "servers")),
            title=text(node, "title"),
            summary=text(node, "summary"),
            description=text(node, "description"),
            bindings=plain(mapping(node, "bindings")),
            tags=tag_names(node),
            location=loc(node),
            extensions=extensions(node),
        )
        return plan.built

    def _server_key(self, node: Any) -> str:
        for key, server in mapping(self.root, "servers").items():
            if server is node:
                return str(key)
        ref = getattr(node, "ref", None)
        return (ref_name(ref) if isinstance(ref, str) else None) or str(text(node, "host"))


def _split(node: Any, merged: Any) -> tuple[Any, str | None, Any, str | None]:
    payload, payload_format = split_multiformat(merged.get("payload"))
    headers, headers_format = split_multiformat(merged.get("headers"))
    return payload, payload_format, headers, headers_format


def _parameters(node: Any, address: str | None, ctx: Context) -> tuple[Parameter, ...]:
    idents = Namer()
    out = []
    declared = mapping(node, "parameters")
    for name in parameter_names(address, declared, loc(node), ctx.diagnostics):
        param = declared.get(name)
        param = param if isinstance(param, Mapping) else {}
        default = param.get("default")
        enum = tuple(scalar_str(v) for v in seq(param, "enum"))
        schema: dict[str, Any] = {"type": "string"}
        if enum:
            schema["enum"] = list(enum)
        if default is not None:
            schema["default"] = scalar_str(default)
        out.append(
            Parameter(
                name=str(name),
                ident=idents.name(str(name)),
                description=text(param, "description"),
                enum=enum,
                default=None if default is None else scalar_str(default),
                examples=tuple(scalar_str(v) for v in seq(param, "examples")),
                location_expr=text(param, "location"),
                schema=schema,
                location=loc(param, loc(node)),
            )
        )
    return tuple(out)


def _server(ctx: Context, key: str, node: Any, idents: Namer) -> Server:
    protocol = (text(node, "protocol") or "").lower()
    host = text(node, "host") or ""
    pathname = text(node, "pathname")
    if pathname is not None and not pathname.startswith("/"):
        pathname = "/" + pathname
    version = node.get("protocolVersion")
    return Server(
        key=key,
        ident=idents.name(key),
        protocol=protocol,
        protocol_version=None if version is None else scalar_str(version),
        host=host,
        pathname=pathname,
        url=f"{protocol}://{host}{pathname or ''}" if protocol else f"{host}{pathname or ''}",
        variables=server_variables(node),
        description=text(node, "description"),
        title=text(node, "title"),
        security=ctx.security_names(node.get("security")),
        bindings=plain(mapping(node, "bindings")),
        tags=tag_names(node),
        location=loc(node),
    )


def parse(doc: Document, diagnostics: Diagnostics) -> Api:
    return _Parser(doc, diagnostics).run()
