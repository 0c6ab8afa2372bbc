"""Checks a schema cannot express (run after the structural pass, on its survivors).

* references: 3.x ``operation.channel`` is a channel of ``#/channels`` (root
  operations), operation/reply ``messages`` are messages *of that channel*,
  channel ``servers`` are servers of ``#/servers``; 2.x server/operation security
  names exist in ``components.securitySchemes``, channel ``servers`` names exist;
* uniqueness: 2.x operationIds, 2.4+ messageIds, message names per channel;
* templates: every ``{param}`` in a channel address is declared and every
  declared parameter is used; every ``{var}`` of a server url/host/pathname is a
  declared server variable;
* replies: a reply with an ``address`` points to a channel whose address is null;
* component names match ``^[\\w\\d.\\-_]+$``.

Nodes the structural pass already reported (``ctx.broken``) are skipped: one error
per root cause.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, TypeGuard

from asyncgen.document import MapNode, SeqNode, child_loc, loc_of
from asyncgen.errors import Location, SpecError
from asyncgen.validate.hints import did_you_mean
from asyncgen.validate.objects import COMPONENT_KEY, COMPONENT_KEY_HINT
from asyncgen.validate.walker import Ctx

TEMPLATE_VAR = re.compile(r"\{([^{}]+)\}")


class Semantic:
    def __init__(self, ctx: Ctx, root: MapNode) -> None:
        self.ctx = ctx
        self.root = root
        self.errors: list[SpecError] = []

    def error(self, message: str, where: Location, hint: str | None = None) -> None:
        self.errors.append(SpecError(message, where, hint=hint))

    def warn(self, message: str, where: Location, hint: str | None = None) -> None:
        self.errors.append(SpecError(message, where, hint=hint, severity="warning"))

    def ok(self, node: Any) -> TypeGuard[MapNode]:
        return isinstance(node, MapNode) and id(node) not in self.ctx.broken

    def section(self, *path: str) -> MapNode:
        node: Any = self.root
        for key in path:
            node = node.get(key) if isinstance(node, MapNode) else None
        return node if self.ok(node) else MapNode()

    # -- shared -------------------------------------------------------------------------------------

    def component_names(self) -> None:
        components = self.section("components")
        for section, entries in components.items():
            if not isinstance(entries, MapNode) or section.startswith("x-"):
                continue
            for key in entries:
                if not re.match(COMPONENT_KEY, key):
                    self.error(
                        f"component name {key!r} in `{section}` is not valid",
                        entries.key_loc(key),
                        COMPONENT_KEY_HINT,
                    )

    def channel_parameters(self, channel: MapNode, address: Any, where: Location) -> None:
        if not isinstance(address, str):
            return
        used = list(dict.fromkeys(TEMPLATE_VAR.findall(address)))
        params = channel.get("parameters")
        declared = params if isinstance(params, MapNode) and self.ok(params) else MapNode()
        missing = [n for n in used if n not in declared]
        unused = [n for n in declared if n not in used]
        if len(missing) == 1 and len(unused) == 1:  # one renamed on one side only: one error
            self.error(
                f"channel address {address!r} uses `{{{missing[0]}}}` "
                f"but the declared parameter is `{unused[0]}`",
                declared.key_loc(unused[0]),
                f"rename the parameter or the placeholder so they match (`{{{unused[0]}}}`)",
            )
            return
        for name in used:
            if name not in declared:
                self.error(
                    f"channel address {address!r} uses `{{{name}}}` "
                    f"but `parameters` does not declare `{name}`",
                    where,
                    did_you_mean(name, declared) or f"add `parameters: {{{name}: {{...}}}}` to the channel",
                )
        for name in declared:
            if name not in used:
                self.error(
                    f"parameter `{name}` is declared but the channel address {address!r} has no `{{{name}}}`",
                    declared.key_loc(name),
                    did_you_mean(name, used),
                )

    def server_variables(self, server: MapNode, text: Any, field: str) -> None:
        if not isinstance(text, str):
            return
        variables = server.get("variables")
        declared = variables if isinstance(variables, Mapping) else {}
        for name in dict.fromkeys(TEMPLATE_VAR.findall(text)):
            if name not in declared:
                self.error(
                    f"server `{field}` {text!r} uses `{{{name}}}` but `variables` does not declare `{name}`",
                    child_loc(server, field),
                    did_you_mean(name, declared),
                )
        for name, var in declared.items():
            if isinstance(var, Mapping) and isinstance(var.get("enum"), list) and "default" in var:
                if var["default"] not in var["enum"]:
                    self.warn(
                        f"server variable `{name}` default {var['default']!r} is not in its enum",
                        child_loc(var, "default") if isinstance(var, MapNode) else loc_of(var, Location("?")),
                    )

    def unique_message_names(self, messages: list[tuple[MapNode, Location]], channel_name: str) -> None:
        seen: dict[str, MapNode] = {}
        for message, where in messages:
            name = message.get("name")
            if not isinstance(name, str):
                continue
            first = seen.get(name)
            if first is None:
                seen[name] = message
            elif first is not message:
                self.error(
                    f"two messages of channel {channel_name!r} are named {name!r}",
                    child_loc(message, "name") if "name" in message else where,
                    f"the other one is at {first.loc}",
                )


def iter_map(node: Any) -> Iterator[tuple[str, MapNode]]:
    if isinstance(node, MapNode):
        for key, value in node.items():
            if isinstance(value, MapNode):
                yield key, value


# -- AsyncAPI 2.x -------------------------------------------------------------------------------------


def check_v2(ctx: Ctx, root: MapNode) -> list[SpecError]:
    sem = Semantic(ctx, root)
    sem.component_names()
    schemes = sem.section("components", "securitySchemes")
    servers = sem.section("servers")
    for _, server in iter_map(servers):
        if not sem.ok(server):
            continue
        sem.server_variables(server, server.get("url"), "url")
        _v2_security(sem, server.get("security"), schemes)
    operation_ids: dict[str, Location] = {}
    message_ids: dict[str, tuple[MapNode, Location]] = {}
    for name, channel in iter_map(sem.section("channels")):
        if not sem.ok(channel):
            continue
        sem.channel_parameters(channel, name, sem.section("channels").key_loc(name))
        names = channel.get("servers")
        if isinstance(names, SeqNode):
            for index, server_name in enumerate(names):
                if isinstance(server_name, str) and server_name not in servers:
                    sem.error(
                        f"channel {name!r} lists server {server_name!r}, which `servers` does not define",
                        names.item_loc(index),
                        did_you_mean(server_name, servers),
                    )
        messages: list[tuple[MapNode, Location]] = []
        for verb in [k for k in channel if k in ("publish", "subscribe")]:
            op = channel.get(verb)
            if not sem.ok(op):
                continue
            op_id = op.get("operationId")
            if isinstance(op_id, str):
                where = child_loc(op, "operationId")
                if op_id in operation_ids:
                    sem.error(
                        f"operationId {op_id!r} is used twice",
                        where,
                        f"operationIds must be unique; the first is at {operation_ids[op_id]}",
                    )
                else:
                    operation_ids[op_id] = where
            _v2_security(sem, op.get("security"), schemes)
            messages.extend(
                _v2_messages(sem, op.get("message"), child_loc(op, "message") if "message" in op else op.loc)
            )
        sem.unique_message_names(messages, name)
        for message, _ in messages:
            msg_id = message.get("messageId")
            if isinstance(msg_id, str):
                first = message_ids.setdefault(msg_id, (message, child_loc(message, "messageId")))
                if first[0] is not message:
                    sem.error(
                        f"messageId {msg_id!r} is used by two messages",
                        child_loc(message, "messageId"),
                        f"messageIds must be unique; the first is at {first[1]}",
                    )
    return sem.errors


def _v2_messages(sem: Semantic, message: Any, where: Location) -> list[tuple[MapNode, Location]]:
    if not sem.ok(message):
        return []
    if "oneOf" in message:
        items = message["oneOf"]
        found: list[tuple[MapNode, Location]] = []
        if isinstance(items, SeqNode):
            for index, item in enumerate(items):
                found.extend(_v2_messages(sem, item, items.item_loc(index)))
        return found
    return [(message, where)]


def _v2_security(sem: Semantic, requirements: Any, schemes: MapNode) -> None:
    if not isinstance(requirements, SeqNode):
        return
    for requirement in requirements:
        if not sem.ok(requirement):
            continue
        for name in requirement:
            if name not in schemes:
                sem.error(
                    f"security requirement names {name!r}, "
                    "which `components.securitySchemes` does not define",
                    requirement.key_loc(name),
                    did_you_mean(name, schemes) or _defined(schemes),
                )


def _defined(names: Mapping[str, Any]) -> str:
    return "defined: " + ", ".join(f"`{n}`" for n in names) if names else "no security schemes are defined"


# -- AsyncAPI 3.x -------------------------------------------------------------------------------------


def check_v3(ctx: Ctx, root: MapNode) -> list[SpecError]:
    sem = Semantic(ctx, root)
    sem.component_names()
    servers = sem.section("servers")
    root_servers = {id(s) for s in servers.values()}
    for _, server in iter_map(servers):
        if not sem.ok(server):
            continue
        for field in ("host", "pathname"):
            sem.server_variables(server, server.get(field), field)
        host = server.get("host")
        if isinstance(host, str) and "://" in host:
            sem.warn(
                f"server host {host!r} includes a scheme",
                child_loc(server, "host"),
                "`host` is host[:port]; the scheme belongs in `protocol`",
            )
    channels = sem.section("channels")
    root_channels = {id(c) for c in channels.values()}
    # entries the memo knows (asyncgen.validate.memo) get only the checks that look outside them
    component_channels = sem.section("components", "channels")
    clean = ctx.memo_clean(channels), ctx.memo_clean(component_channels)
    all_channels = [(n, c, n in clean[0]) for n, c in iter_map(channels)]
    all_channels += [(n, c, n in clean[1]) for n, c in iter_map(component_channels)]
    for name, channel, known in all_channels:
        if not sem.ok(channel):
            continue
        if not known:
            address = channel.get("address")
            where = child_loc(channel, "address") if "address" in channel else channel.loc
            sem.channel_parameters(channel, address, where)
        listed = channel.get("servers")
        if isinstance(listed, SeqNode):
            for index, server in enumerate(listed):
                if isinstance(server, MapNode) and id(server) not in root_servers:
                    sem.error(
                        f"channel {name!r} `servers` must refer to servers in `#/servers`",
                        listed.item_loc(index),
                        "write `servers: [{$ref: '#/servers/<name>'}]`",
                    )
        if not known:
            messages = [(m, child_loc(channel["messages"], k)) for k, m in iter_map(channel.get("messages"))]
            sem.unique_message_names(messages, name)
    operations = sem.section("operations")
    component_ops = sem.section("components", "operations")
    clean = ctx.memo_clean(operations), ctx.memo_clean(component_ops)
    for name, op in iter_map(operations):
        if sem.ok(op):
            _v3_operation(sem, name, op, root_channels, known=name in clean[0])
    for name, op in iter_map(component_ops):
        if sem.ok(op):
            _v3_operation(sem, name, op, None, known=name in clean[1])
    return sem.errors


def _v3_operation(
    sem: Semantic, name: str, op: MapNode, root_channels: set[int] | None, *, known: bool = False
) -> None:
    """``known``: the memo knows the operation and all it leads to; only the channel's place is checked."""
    channel = op.get("channel")
    if not sem.ok(channel):
        return
    if root_channels is not None and id(channel) not in root_channels:
        sem.error(
            f"operation {name!r}: `channel` must refer to a channel in `#/channels`",
            op.key_loc("channel"),
            "write `channel: {$ref: '#/channels/<channelId>'}`",
        )
        return
    if known:
        return
    _messages_of(sem, f"operation {name!r}", op, channel)
    reply = op.get("reply")
    if not sem.ok(reply):
        return
    reply_channel = reply.get("channel")
    if sem.ok(reply_channel):
        if "address" in reply and reply_channel.get("address") is not None:
            sem.warn(
                f"operation {name!r}: the reply has an `address`, so its channel's address should be null",
                child_loc(reply, "address"),
                "use either a dynamic reply `address` (with a channel whose `address: null`) "
                "or a reply channel with a fixed address",
            )
        _messages_of(sem, f"operation {name!r} reply", reply, reply_channel)


def _messages_of(sem: Semantic, what: str, holder: MapNode, channel: MapNode) -> None:
    messages = holder.get("messages")
    if not isinstance(messages, SeqNode):
        return
    channel_messages = channel.get("messages")
    ids = {id(m) for m in channel_messages.values()} if isinstance(channel_messages, Mapping) else set()
    for index, message in enumerate(messages):
        if isinstance(message, MapNode) and id(message) not in ids:
            keys = list(channel_messages) if isinstance(channel_messages, Mapping) else []
            sem.error(
                f"{what}: message {index} is not one of its channel's messages",
                messages.item_loc(index),
                "operation messages must be `$ref: '#/channels/<channelId>/messages/<key>'`"
                + (
                    f"; the channel has {', '.join(f'`{k}`' for k in keys)}"
                    if keys
                    else "; the channel has none"
                ),
            )
