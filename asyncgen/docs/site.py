"""The portal's context: one :class:`ApiView` per spec, a :class:`SiteView` over all of them.

Built in two passes: every page's ids first, then the cross links (OpenAPI
callbacks/webhooks/operations -> the AsyncAPI channels that feed them, found by the
``x-asyncgen-channel`` extension or, for callbacks and webhooks, by the same request
body schema as a message payload) and the search index.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from markupsafe import Markup

from asyncgen.docs.schema_table import SchemaTable, TableBuilder
from asyncgen.docs.views import (
    BodyView,
    CallbackView,
    ChannelView,
    ExampleView,
    HttpOpView,
    HttpParamView,
    Ids,
    Link,
    MessageView,
    OperationView,
    ParamView,
    ReplyView,
    ResponseView,
    SchemaSection,
    SecurityView,
    ServerView,
    TreeNode,
    WebhookView,
    body_example,
    def_closure,
    example_for,
    fingerprint,
    format_note,
    pairs,
    pretty,
    referenced_defs,
    role_sentence,
    slug,
    tree_of,
)
from asyncgen.model import Api, HttpBody, HttpOperation, Message, Operation

EXTENSION = "x-asyncgen-channel"


@dataclass
class ApiView:
    api: Api
    slug: str
    page: str
    examples: bool = True
    ids: Ids = field(default_factory=Ids)
    servers: list[ServerView] = field(default_factory=list)
    channels: list[ChannelView] = field(default_factory=list)
    operations: list[OperationView] = field(default_factory=list)
    messages: list[MessageView] = field(default_factory=list)
    schemas: list[SchemaSection] = field(default_factory=list)
    security: list[SecurityView] = field(default_factory=list)
    http_operations: list[HttpOpView] = field(default_factory=list)
    webhooks: list[WebhookView] = field(default_factory=list)
    tree: TreeNode = field(default_factory=lambda: TreeNode(""))
    spec_files: list[Link] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.api.title

    @property
    def family_label(self) -> str:
        return f"{'AsyncAPI' if self.api.family == 'asyncapi' else 'OpenAPI'} {self.api.spec_version}"

    @property
    def sends(self) -> list[OperationView]:
        return [o for o in self.operations if o.action == "send"]

    @property
    def receives(self) -> list[OperationView]:
        return [o for o in self.operations if o.action == "receive"]

    @property
    def protocols(self) -> list[str]:
        return list(self.api.protocols)

    @property
    def summary(self) -> str:
        text = (self.api.description or "").strip().split("\n\n")[0].strip()
        return text if len(text) <= 300 else text[:297] + "..."

    @property
    def callbacks(self) -> list[CallbackView]:
        return [cb for op in self.http_operations for cb in op.callbacks]

    def all_http(self) -> list[HttpOpView]:
        out: list[HttpOpView] = []
        for op in self.http_operations:
            out.append(op)
            for cb in op.callbacks:
                out.extend(cb.operations)
        for hook in self.webhooks:
            out.extend(hook.operations)
        return out

    def href(self, anchor: str, from_page: str | None = None) -> str:
        return f"#{anchor}" if from_page == self.page else f"{self.page}#{anchor}"


class _Builder:
    def __init__(self, api: Api, view: ApiView) -> None:
        self.api = api
        self.view = view
        self.ids = view.ids
        self.defs: dict[str, Mapping[str, Any]] = {d.name: d.schema for d in api.schemas}
        self.sections = referenced_defs(api)
        self.tables = TableBuilder(self.defs, self._def_href, self.ids.take)
        self._channel_ids: dict[int, str] = {}
        self._message_ids: dict[int, str] = {}
        self._op_ids: dict[str, str] = {}
        self._messages: list[Message] | None = None
        self._canon: dict[int, Message] = {}
        self._channels_of: dict[int, list[Any]] = {}
        self._ops_of: dict[int, list[Operation]] = {}

    def _def_href(self, name: str) -> str | None:
        return f"#schema-{slug(name)}" if name in self.sections else None

    # -- pass 1: ids -------------------------------------------------------------------
    def allocate(self) -> None:
        for server in self.api.servers:
            self.ids.take(f"server-{server.key}")
        for channel in self.api.channels:
            self._channel_ids[id(channel)] = self.ids.take(f"channel-{channel.key}")
        for message in self._all_messages():
            self._message_ids[id(message)] = self.ids.take(f"message-{message.key}")
        for op in self.api.operations:
            self._op_ids[op.key] = self.ids.take(f"op-{op.key}")
        for name in self.sections:
            self.ids.used.add(f"schema-{slug(name)}")  # fixed: _def_href depends on it

    def _all_messages(self) -> list[Message]:
        """Distinct messages (by key, then equality), in spec order; cached."""
        if self._messages is not None:
            return self._messages
        seen: dict[str, list[Message]] = {}
        out: list[Message] = []

        def add(message: Message) -> None:
            same = seen.setdefault(message.key, [])
            for m in same:
                if m is message or m == message:
                    self._canon[id(message)] = m
                    return
            same.append(message)
            out.append(message)
            self._canon[id(message)] = message

        for channel in self.api.channels:
            for m in channel.messages:
                add(m)
        for op in self.api.operations:
            for m in op.messages:
                add(m)
            if op.reply is not None:
                for m in op.reply.messages:
                    add(m)
        self._messages = out
        for channel in self.api.channels:
            for m in channel.messages:
                self._channels_of.setdefault(id(self._canon[id(m)]), []).append(channel)
        for op in self.api.operations:
            for m in op.messages:
                self._ops_of.setdefault(id(self._canon[id(m)]), []).append(op)
        return out

    def message_link(self, message: Message) -> Link:
        self._all_messages()
        anchor = self._message_ids.get(id(self._canon.get(id(message), message)))
        return Link(message.title or message.name or message.key, f"#{anchor or ''}")

    def channel_link(self, channel: Any) -> Link:
        anchor = self._channel_ids.get(id(channel))
        if anchor is None:
            anchor = next((self._channel_ids[id(c)] for c in self.api.channels if c.key == channel.key), "")
        return Link(
            channel.address if channel.address is not None else f"{channel.key} (dynamic)", f"#{anchor}"
        )

    # -- pass 1: content ---------------------------------------------------------------
    def build(self) -> None:
        self.allocate()
        api, view = self.api, self.view
        for server in api.servers:
            view.servers.append(
                ServerView(
                    id=slug(f"server-{server.key}"),
                    key=server.key,
                    url=server.url,
                    protocol=server.protocol,
                    protocol_version=server.protocol_version,
                    title=server.title,
                    description=server.description,
                    variables=list(server.variables),
                    security=list(server.security),
                    bindings=pairs(server.bindings),
                    tags=list(server.tags),
                )
            )
        ops_by_channel: dict[str, list[Operation]] = {}
        for op in api.operations:
            ops_by_channel.setdefault(op.channel.key, []).append(op)
        for channel in api.channels:
            link = self.channel_link(channel)
            view.channels.append(
                ChannelView(
                    id=self._channel_ids[id(channel)],
                    key=channel.key,
                    channel=channel,
                    address=link.label,
                    parameters=[
                        ParamView(
                            p.name,
                            p.description,
                            list(p.enum),
                            p.default,
                            p.pattern,
                            list(p.examples),
                            p.location_expr,
                        )
                        for p in channel.parameters
                    ],
                    servers=[Link(k, f"#{slug('server-' + k)}") for k in channel.servers],
                    messages=[self.message_link(m) for m in channel.messages],
                    operations=[
                        Link(op.key, f"#{self._op_ids[op.key]}", op.action)
                        for op in ops_by_channel.get(channel.key, [])
                    ],
                    bindings=pairs(channel.bindings),
                )
            )
        view.tree = tree_of((c.address, Link(c.key, f"#{c.id}")) for c in view.channels)
        for op in api.operations:
            view.operations.append(self.operation(op))
        for message in self._all_messages():
            view.messages.append(self.message(message, ops_by_channel))
        for name in self.defs:
            if name in self.sections:
                sd = next(d for d in api.schemas if d.name == name)
                anchor = f"schema-{slug(name)}"
                view.schemas.append(
                    SchemaSection(
                        anchor, name, sd, self.tables.table(anchor, sd.schema, name), format_note(sd)
                    )
                )
        for scheme in api.security_schemes:
            view.security.append(
                SecurityView(
                    self.ids.take(f"security-{scheme.key}"),
                    scheme.key,
                    scheme.type,
                    scheme.description,
                    pairs(scheme.details),
                )
            )
        for http in api.http_operations:
            view.http_operations.append(self.http(http, "operation"))
        for hook in api.webhooks:
            hid = self.ids.take(f"webhook-{hook.name}")
            ops = [self.http(o, "webhook", hook.extensions) for o in hook.operations]
            view.webhooks.append(WebhookView(hid, hook.name, ops))

    def operation(self, op: Operation) -> OperationView:
        messages = [self.message_link(m) for m in (op.messages or op.channel.messages)]
        channel = self.channel_link(op.channel)
        reply = None
        if op.reply is not None:
            r = op.reply
            reply = ReplyView(
                self.channel_link(r.channel) if r.channel is not None else None,
                r.address_expr,
                [self.message_link(m) for m in r.messages],
                r.description,
            )
        return OperationView(
            id=self._op_ids[op.key],
            key=op.key,
            op=op,
            action=op.action,
            sentence=role_sentence(op.action, [m.label for m in messages], channel.label),
            channel=channel,
            messages=messages,
            reply=reply,
            bindings=pairs(op.bindings),
        )

    def message(self, message: Message, ops_by_channel: Mapping[str, list[Operation]]) -> MessageView:
        anchor = self._message_ids[id(message)]
        view = MessageView(anchor, message.key, message, message.title or message.name or message.key)
        if message.payload is not None:
            view.payload = self.tables.table(f"{anchor}-payload", message.payload.schema)
            view.format_note = format_note(message.payload, message.schema_format)
            if message.payload.name in self.sections:
                view.payload_link = Link(message.payload.name, f"#schema-{slug(message.payload.name)}")
            self._mark_correlation(view.payload, message, "payload")
        if message.headers is not None:
            view.headers = self.tables.table(f"{anchor}-headers", message.headers.schema)
            if message.headers.name in self.sections:
                view.headers_link = Link(message.headers.name, f"#schema-{slug(message.headers.name)}")
            self._mark_correlation(view.headers, message, "header")
        for index, ex in enumerate(message.examples, 1):
            view.examples.append(
                ExampleView(
                    ex.name or ex.summary or f"Example {index}",
                    pretty(ex.payload) if ex.has_payload else None,
                    pretty(dict(ex.headers)) if ex.headers is not None else None,
                )
            )
        if not view.examples and self.view.examples and message.payload is not None:
            closure = def_closure(message.payload.schema, self.defs)
            value, found = example_for(message, closure)
            if found:
                view.examples.append(ExampleView("Synthesised from the schema", pretty(value), None, True))
        view.bindings = pairs(message.bindings)
        for channel in self._channels_of.get(id(message), []):
            view.channels.append(self.channel_link(channel))
        for op in self._ops_of.get(id(message), []):
            view.operations.append(Link(op.key, f"#{self._op_ids[op.key]}", op.action))
        return view

    @staticmethod
    def _mark_correlation(table: SchemaTable, message: Message, source: str) -> None:
        cid = message.correlation_id
        if cid is None or cid.source != source:
            return
        wanted = ".".join(cid.path)
        for row in table.all_rows():
            if row.path == wanted:
                row.badges.append("correlation id")

    def body(self, body: HttpBody, prefix: str) -> BodyView:
        table = None
        link = None
        if body.schema is not None:
            table = self.tables.table(prefix, body.schema.schema)
            if body.schema.name in self.sections:
                link = Link(body.schema.name, f"#schema-{slug(body.schema.name)}")
        example = body_example(body.schema, self.defs) if self.view.examples else None
        return BodyView(body.content_type, table, link, body.description, body.required, example)

    def http(self, op: HttpOperation, kind: str, extra_ext: Mapping[str, Any] | None = None) -> HttpOpView:
        anchor = self.ids.take(f"http-{op.key}")
        params = [
            HttpParamView(p.name, p.location, p.required, self.tables.type_text(p.schema), p.description)
            for p in op.parameters
        ]
        request = self.body(op.request_body, f"{anchor}-request") if op.request_body is not None else None
        responses = [
            ResponseView(
                r.status,
                r.description,
                [self.body(b, f"{anchor}-response-{r.status}") for b in r.bodies],
            )
            for r in op.responses
        ]
        view = HttpOpView(
            anchor, op.key, op, op.method.upper(), op.path, params, request, responses,
            security=list(op.security), kind=kind,
        )  # fmt: skip
        wanted: list[str] = []
        for ext in (op.extensions, extra_ext or {}):
            value = ext.get(EXTENSION)
            values = value if isinstance(value, list) else [value]
            wanted.extend(str(v) for v in values if isinstance(v, str))
        view.extension_channels = list(dict.fromkeys(wanted))
        if op.request_body is not None and op.request_body.schema is not None:
            view.body_fingerprint = fingerprint(op.request_body.schema.schema, self.defs)
        for cb in op.callbacks:
            cid = self.ids.take(f"callback-{op.key}-{cb.name}")
            ops = [self.http(o, "callback", cb.extensions) for o in cb.operations]
            view.callbacks.append(CallbackView(cid, cb.name, cb.expression, ops))
        return view


def build_api_view(api: Api, page_slug: str, *, examples: bool = True) -> ApiView:
    view = ApiView(api, page_slug, f"{page_slug}.html", examples)
    _Builder(api, view).build()
    return view


def link_http_to_channels(views: Sequence[ApiView]) -> None:
    """Cross links: each HTTP op <-> the AsyncAPI channels that feed it (pass 2)."""
    if not any(v.all_http() for v in views):
        return
    channels: list[tuple[ApiView, ChannelView]] = [(v, c) for v in views for c in v.channels]
    payloads: dict[str, list[tuple[ApiView, ChannelView]]] = {}
    for v, c in channels:
        defs = {d.name: d.schema for d in v.api.schemas}
        for m in c.channel.messages:
            if m.payload is not None:
                payloads.setdefault(fingerprint(m.payload.schema, defs), []).append((v, c))
    for view in views:
        for op in view.all_http():
            found: list[tuple[ApiView, ChannelView]] = []
            for wanted in op.extension_channels:
                found.extend((v, c) for v, c in channels if wanted in (c.key, c.address))
            if not found and op.kind != "operation" and op.body_fingerprint is not None:
                found.extend(payloads.get(op.body_fingerprint, []))
            for v, c in {id(c): (v, c) for v, c in found}.values():
                op.channels.append(Link(c.address, v.href(c.id, view.page), v.title))
                label = f"{op.kind} {op.key} ({op.method} {op.path})"
                c.http.append(Link(label, view.href(op.id, v.page), view.title))
                for o in v.operations:
                    if o.channel.href.endswith(f"#{c.id}"):
                        o.http.append(Link(label, view.href(op.id, v.page), view.title))


@dataclass
class SiteView:
    title: str
    apis: list[ApiView]
    asyncgen_version: str

    @cached_property
    def search_entries(self) -> list[list[str]]:
        """``[kind, name, context, href]`` for every channel, message, operation and property."""
        out: list[list[str]] = []
        for v in self.apis:
            api = v.title
            for c in v.channels:
                out.append(["channel", c.address, f"{c.key} · {api}", f"{v.page}#{c.id}"])
            for m in v.messages:
                detail = " ".join(x for x in (m.key, m.message.name or "", m.message.summary or "") if x)
                out.append(["message", m.title, f"{detail} · {api}", f"{v.page}#{m.id}"])
                for label, table in (("payload", m.payload), ("headers", m.headers)):
                    if table is None:
                        continue
                    for row in table.all_rows():
                        out.append(["property", row.name, f"{row.path} · {label} of {m.title} · {api}",
                                    f"{v.page}#{row.id}"])  # fmt: skip
            for o in v.operations:
                out.append(["operation", o.key, f"{o.action} {o.channel.label} · {api}", f"{v.page}#{o.id}"])
            for s in v.schemas:
                out.append(["schema", s.name, f"schema · {api}", f"{v.page}#{s.id}"])
                for row in s.table.all_rows():
                    out.append(["property", row.name, f"{row.path} · schema {s.name} · {api}",
                                f"{v.page}#{row.id}"])  # fmt: skip
            for h in v.all_http():
                out.append(
                    ["operation", f"{h.method} {h.path}", f"{h.kind} {h.key} · {api}", f"{v.page}#{h.id}"]
                )
        return out

    @cached_property
    def search_json(self) -> Markup:
        """The index as JSON safe inside a ``<script>`` and a ``.js`` file (``<``, ``>``, ``&`` escaped)."""
        text = json.dumps(self.search_entries, ensure_ascii=False, separators=(",", ":"))
        for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                             ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):  # fmt: skip
            text = text.replace(raw, escaped)
        return Markup(text)

    @property
    def channel_count(self) -> int:
        return sum(len(v.channels) for v in self.apis)


def build_site(apis: Sequence[Api], *, title: str = "Event portal", examples: bool = True) -> SiteView:
    used: set[str] = set()
    views: list[ApiView] = []
    for api in apis:
        base = slug(api.package or api.title).lower() or "api"
        if base == "index":
            base = "api-index"
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name)
        views.append(build_api_view(api, name, examples=examples))
    link_http_to_channels(views)
    from asyncgen import __version__

    return SiteView(title, views, __version__)
