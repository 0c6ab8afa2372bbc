"""``asyncgen inspect``: the IR as a readable, deterministic plain-text summary.

A user's first look at what will be generated: servers, channels (with parameter
enums), operations grouped by the application's own ``send``/``receive`` with their
messages and payload classes, reply routes, HTTP operations with callbacks and
webhooks, and counts. Everything is in spec order; spec text is shown on one line
with control characters escaped, so the output is safe to print.
"""

from __future__ import annotations

from collections.abc import Iterable

from asyncgen.errors import SpecError
from asyncgen.model import Api, Channel, HttpBody, HttpOperation, Message, Operation, Reply

FAMILY = {"asyncapi": "AsyncAPI", "openapi": "OpenAPI"}
INDENT = "  "


def one_line(value: object, limit: int = 100) -> str:
    """Spec text on one line: control characters escaped, long text cut with '...'."""
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def summarize(api: Api, warnings: Iterable[SpecError] = ()) -> str:
    """The summary; ``warnings`` (e.g. ``Diagnostics.warnings`` from parse) are listed at the end."""
    lines: list[str] = []
    title = f"{one_line(api.title)} {one_line(api.version)}".strip()
    lines.append(f"{title} ({FAMILY.get(api.family, api.family)} {one_line(api.spec_version)})")
    lines.append(f"package: {api.package}")
    if api.source:
        lines.append(f"source: {one_line(api.source, 200)}")
    if len(api.source_files) > 1:
        lines.append(f"files: {len(api.source_files)}")
    lines.append("")
    _servers(api, lines)
    if api.family == "asyncapi" or api.channels:
        _channels(api.channels, lines)
        _operations(api, lines)
        _messages(api.messages, lines)
    if api.family == "openapi" or api.http_operations or api.webhooks:
        _http(api, lines)
    if api.schemas:
        lines.append(f"Models ({len(api.schemas)}):")
        lines.extend(
            _wrap(
                [
                    s.name + ("" if s.source_format in ("jsonschema", "openapi") else f" [{s.source_format}]")
                    for s in api.schemas
                ]
            )
        )
        lines.append("")
    lines.append("Totals: " + ", ".join(_totals(api)))
    found = list(warnings)
    if found:
        lines.append("")
        lines.append(f"Warnings ({len(found)}):")
        lines.extend(f"{INDENT}{one_line(w.location, 120)}: {one_line(w.message, 300)}" for w in found)
    return "\n".join(lines) + "\n"


def _servers(api: Api, lines: list[str]) -> None:
    lines.append(f"Servers ({len(api.servers)}):" if api.servers else "Servers: none")
    for server in api.servers:
        extra = f" {server.protocol_version}" if server.protocol_version else ""
        lines.append(
            f"{INDENT}{one_line(server.key)}  {one_line(server.protocol)}{extra}  {one_line(server.url)}"
        )
        for var in server.variables:
            enum = f" one of {'|'.join(one_line(v, 40) for v in var.enum)}" if var.enum else ""
            default = f" default {one_line(var.default, 40)}" if var.default is not None else ""
            lines.append(f"{INDENT * 2}{{{one_line(var.name)}}}{default}{enum}")
        if server.security:
            lines.append(f"{INDENT * 2}security: {', '.join(one_line(s) for s in server.security)}")
    lines.append("")


def _channels(channels: Iterable[Channel], lines: list[str]) -> None:
    channels = tuple(channels)
    lines.append(f"Channels ({len(channels)}):")
    for ch in channels:
        address = one_line(ch.address, 200) if ch.address is not None else "(dynamic address)"
        name = "" if ch.key == ch.address else f"{one_line(ch.key)}: "
        lines.append(f"{INDENT}{name}{address}")
        for p in ch.parameters:
            details = []
            if p.enum:
                details.append("one of " + "|".join(one_line(v, 40) for v in p.enum))
            if p.default is not None:
                details.append(f"default {one_line(p.default, 40)}")
            if p.pattern:
                details.append(f"pattern {one_line(p.pattern, 60)}")
            if p.location_expr:
                details.append(f"from {one_line(p.location_expr)}")
            suffix = f" ({'; '.join(details)})" if details else ""
            lines.append(f"{INDENT * 2}{{{one_line(p.name)}}} -> {p.ident}{suffix}")
        if ch.servers:
            lines.append(f"{INDENT * 2}servers: {', '.join(one_line(s) for s in ch.servers)}")
        if ch.messages:
            lines.append(f"{INDENT * 2}messages: {', '.join(one_line(m.key) for m in ch.messages)}")
    lines.append("")


def _message_ref(message: Message) -> str:
    payload = message.payload.name if message.payload else "no payload"
    return f"{one_line(message.key)} ({payload})"


def _reply(reply: Reply) -> str:
    parts = []
    if reply.channel is not None:
        address = one_line(reply.channel.address) if reply.channel.address is not None else "dynamic"
        parts.append(f"channel {one_line(reply.channel.key)} [{address}]")
    if reply.address_expr:
        parts.append(f"address from {one_line(reply.address_expr)}")
    if reply.messages:
        parts.append("messages " + ", ".join(_message_ref(m) for m in reply.messages))
    return "; ".join(parts) or "(unspecified)"


def _operations(api: Api, lines: list[str]) -> None:
    groups: tuple[tuple[str, tuple[Operation, ...]], ...] = (
        ("The application sends", api.sends),
        ("The application receives", api.receives),
    )
    for label, ops in groups:
        lines.append(f"{label} ({len(ops)}):" if ops else f"{label}: nothing")
        for op in ops:
            target = one_line(op.channel.address) if op.channel.address is not None else "(dynamic)"
            lines.append(f"{INDENT}{op.ident}  [{one_line(op.key)}]  on {target}")
            for message in op.messages:
                lines.append(f"{INDENT * 2}message {_message_ref(message)}")
            if op.reply is not None:
                lines.append(f"{INDENT * 2}reply -> {_reply(op.reply)}")
            if op.security:
                lines.append(f"{INDENT * 2}security: {', '.join(one_line(s) for s in op.security)}")
        lines.append("")


def _messages(messages: Iterable[Message], lines: list[str]) -> None:
    messages = tuple(messages)
    lines.append(f"Messages ({len(messages)}):")
    for m in messages:
        parts = [f"payload {m.payload.name}" if m.payload else "no payload"]
        if m.headers:
            parts.append(f"headers {m.headers.name}")
        parts.append(one_line(m.content_type))
        if m.schema_format:
            parts.append(f"format {one_line(m.schema_format)}")
        if m.correlation_id:
            parts.append(f"correlation id {one_line(m.correlation_id.location_expr)}")
        if m.examples:
            parts.append(f"{len(m.examples)} example(s)")
        lines.append(f"{INDENT}{one_line(m.key)} -> {m.class_name}: {', '.join(parts)}")
    lines.append("")


def _body(body: HttpBody | None) -> str:
    if body is None:
        return "-"
    return f"{body.schema.name if body.schema else 'untyped'} ({one_line(body.content_type)})"


def _http_op(op: HttpOperation, lines: list[str], depth: int) -> None:
    pad = INDENT * depth
    lines.append(f"{pad}{op.method.upper()} {one_line(op.path, 200)}  -> {op.ident}  [{one_line(op.key)}]")
    if op.parameters:
        params = ", ".join(
            f"{one_line(p.name)} ({p.location}{', required' if p.required else ''})" for p in op.parameters
        )
        lines.append(f"{pad}{INDENT}params: {params}")
    if op.request_body is not None:
        lines.append(f"{pad}{INDENT}body: {_body(op.request_body)}")
    for response in op.responses:
        bodies = ", ".join(_body(b) for b in response.bodies) or "no body"
        lines.append(f"{pad}{INDENT}{one_line(response.status)}: {bodies}")
    for cb in op.callbacks:
        lines.append(f"{pad}{INDENT}callback {one_line(cb.name)} -> {one_line(cb.expression, 200)}")
        for cb_op in cb.operations:
            _http_op(cb_op, lines, depth + 2)


def _http(api: Api, lines: list[str]) -> None:
    lines.append(f"HTTP operations ({len(api.http_operations)}):")
    for op in api.http_operations:
        _http_op(op, lines, 1)
    lines.append("")
    if api.webhooks:
        lines.append(f"Webhooks ({len(api.webhooks)}):")
        for hook in api.webhooks:
            lines.append(f"{INDENT}{one_line(hook.name)} -> {hook.ident}")
            for op in hook.operations:
                _http_op(op, lines, 2)
        lines.append("")


def _wrap(names: list[str], width: int = 96) -> list[str]:
    out: list[str] = []
    line = INDENT
    for name in names:
        piece = name if line == INDENT else ", " + name
        if len(line) + len(piece) > width and line != INDENT:
            out.append(line + ",")
            line = INDENT + name
        else:
            line += piece
    if line != INDENT:
        out.append(line)
    return out


def _totals(api: Api) -> list[str]:
    totals = [f"{len(api.servers)} server(s)"]
    if api.family == "asyncapi":
        totals += [
            f"{len(api.channels)} channel(s)",
            f"{len(api.operations)} operation(s) ({len(api.sends)} send, {len(api.receives)} receive)",
            f"{len(api.messages)} message(s)",
        ]
    else:
        totals += [
            f"{len(api.http_operations)} HTTP operation(s)",
            f"{len(api.callbacks)} callback(s)",
            f"{len(api.webhooks)} webhook(s)",
        ]
    totals.append(f"{len(api.schemas)} model(s)")
    return totals
