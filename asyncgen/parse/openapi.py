"""OpenAPI 3.0 and 3.1 -> IR (``Api.family == "openapi"``).

* One :class:`~asyncgen.model.HttpOperation` per path + method, in spec order; key =
  ``operationId`` or ``<method>_<path>``; path-level parameters merged with the
  operation's (the operation's win, matched by name + ``in``).
* Request body: the JSON media type is preferred (``application/json``, then any
  ``*/*+json``), else the first; its schema is a SchemaDef named after the
  component, else ``<OpId>Request``. Other media types with a *different* schema
  are reported as a warning (the IR carries one request body).
* Responses: every status and media type; schemas named ``<OpId>Response<status>``
  unless they are components.
* ``callbacks``: name -> runtime expression (e.g. ``{$request.body#/callbackUrl}``)
  -> path item -> operations (``HttpOperation.path`` is the expression); one
  :class:`~asyncgen.model.Callback` per (name, expression).
* 3.1 ``webhooks``: name -> path item -> operations (``path`` is the webhook name).
* Schemas: OpenAPI 3.0's dialect (``nullable``, boolean exclusive bounds,
  ``example``) is normalised to 2020-12; 3.1 schemas are 2020-12 already.
* Servers: keys ``server0``, ``server1`` ... (OpenAPI servers have no names);
  protocol from the URL scheme (``http`` when relative or templated).
* Response headers and links are not in the IR: one warning lists where they occur.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from asyncgen.document import Document
from asyncgen.errors import Diagnostics
from asyncgen.model import (
    Api,
    Callback,
    HttpBody,
    HttpOperation,
    HttpParameter,
    HttpResponse,
    Server,
    Webhook,
)
from asyncgen.naming import Namer, class_name
from asyncgen.parse.common import (
    Context,
    api_header,
    extensions,
    loc,
    mapping,
    requirement_names,
    seq,
    server_variables,
    tag_names,
    text,
)
from asyncgen.parse.dialect import plain

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
LOCATIONS = ("path", "query", "header", "cookie")


@dataclass
class _Op:
    key: str
    ident: str
    cls: str
    method: str
    path: str
    node: Any
    params: list[Any]
    #: (name, ident, runtime expression, operations, callback object)
    callbacks: list[tuple[str, str, str, list[_Op], Any]] = field(default_factory=list)


def prefer_media(content: Mapping[str, Any]) -> str | None:
    """The media type to use: application/json, then a +json/json one, then the first."""
    types = [str(t) for t in content]
    for media in types:
        if media.split(";")[0].strip().lower() == "application/json":
            return media
    for media in types:
        if "json" in media.lower():
            return media
    return types[0] if types else None


class _Parser:
    def __init__(self, doc: Document, diagnostics: Diagnostics) -> None:
        dialect = "openapi30" if doc.version.startswith("3.0") else "jsonschema"
        self.ctx = Context(doc, diagnostics, default_dialect=dialect)
        self.root = doc.root
        self.op_idents = Namer()
        self.callback_idents = Namer()
        self.unrepresented: list[str] = []

    def run(self) -> Api:
        ctx = self.ctx
        ops = [
            op
            for path, item in mapping(self.root, "paths").items()
            if isinstance(item, Mapping)
            for op in self._path_item(str(path), item, lambda m, p=str(path): f"{m}_{p}")
        ]
        hooks = [
            (
                str(name),
                item,
                self._path_item(str(name), item, lambda m, n=str(name): f"{n}_{m}", ("webhook",)),
            )
            for name, item in mapping(self.root, "webhooks").items()
            if isinstance(item, Mapping)
        ]
        ctx.finalize()
        if self.unrepresented:
            ctx.diagnostics.warn(
                "response headers and links are not represented in the generated code: "
                + ", ".join(dict.fromkeys(self.unrepresented)),
                loc(self.root),
            )
        webhook_idents = Namer()
        servers = tuple(_server(i, node) for i, node in enumerate(seq(self.root, "servers")))
        return Api(
            family="openapi",
            servers=servers,
            http_operations=tuple(self._build(op) for op in ops),
            webhooks=tuple(
                Webhook(
                    name,
                    webhook_idents.name(name),
                    tuple(self._build(op) for op in hook_ops),
                    loc(item),
                    extensions=extensions(item),
                )
                for name, item, hook_ops in hooks
            ),
            schemas=ctx.schemas.defs,
            **api_header(ctx.doc),
        )

    # ------------------------------------------------------------------ pass 1
    def _path_item(self, path: str, item: Any, derive: Any, scope: tuple[str, ...] = ()) -> list[_Op]:
        shared = [p for p in seq(item, "parameters") if isinstance(p, Mapping)]
        out = []
        for method in item:
            node = item[method]
            if method not in METHODS or not isinstance(node, Mapping):
                continue
            own = [p for p in seq(node, "parameters") if isinstance(p, Mapping)]
            own_keys = {_param_key(p) for p in own}
            params = [p for p in shared if _param_key(p) not in own_keys] + own
            memo = (scope, path, method)  # a path item shared by two callbacks gives two operations
            key = self.ctx.unique_key("operation", text(node, "operationId") or derive(method), memo)
            op = _Op(key, self.op_idents.name(key, key=memo), class_name(key), method, path, node, params)
            if item.get("servers") or node.get("servers"):
                self.ctx.diagnostics.warn(
                    f"{key}: path/operation-level `servers` are not represented; the API's servers are used",
                    loc(node),
                )
            self._register_bodies(op)
            for name, callback in mapping(node, "callbacks").items():
                if not isinstance(callback, Mapping):
                    continue
                for expression, cb_item in callback.items():
                    if isinstance(cb_item, Mapping):
                        cb_ops = self._path_item(
                            str(expression), cb_item, lambda m, n=str(name): f"{n}_{m}", (key, str(name))
                        )
                        ident = self.callback_idents.name(str(name), key=(key, str(name), str(expression)))
                        op.callbacks.append((str(name), ident, str(expression), cb_ops, callback))
            out.append(op)
        return out

    def _register_bodies(self, op: _Op) -> None:
        schemas = self.ctx.schemas
        body = op.node.get("requestBody")
        content = mapping(body, "content")
        media = prefer_media(content)
        if media is not None:
            chosen = mapping(content, media).get("schema")
            if chosen is not None:
                schemas.add_root(chosen, f"{op.cls}Request", location=loc(chosen, loc(body)))
            others = [
                m
                for m, v in content.items()
                if m != media and isinstance(v, Mapping) and v.get("schema") is not chosen
            ]
            if others:
                self.ctx.diagnostics.warn(
                    f"{op.key}: request body media types {others} have other schemas; only {media!r} is used",
                    loc(body),
                )
        for status, response in mapping(op.node, "responses").items():
            if not isinstance(response, Mapping):
                continue
            if response.get("headers") or response.get("links"):
                self.unrepresented.append(f"{op.key} {status}")
            for index, (media_type, entry) in enumerate(mapping(response, "content").items()):
                schema = entry.get("schema") if isinstance(entry, Mapping) else None
                if schema is not None:
                    hint = f"{op.cls}Response{status}" + ("" if index == 0 else f" {media_type}")
                    schemas.add_root(schema, hint, location=loc(schema, loc(response)))

    # ------------------------------------------------------------------ pass 2
    def _build(self, op: _Op) -> HttpOperation:
        node = op.node
        security = node.get("security", self.root.get("security"))
        return HttpOperation(
            key=op.key,
            ident=op.ident,
            method=op.method,
            path=op.path,
            summary=text(node, "summary"),
            description=text(node, "description"),
            parameters=self._parameters(op),
            request_body=self._request(node.get("requestBody")),
            responses=tuple(
                self._response(str(status), response)
                for status, response in mapping(node, "responses").items()
                if isinstance(response, Mapping)
            ),
            callbacks=tuple(
                Callback(
                    name,
                    ident,
                    expression,
                    tuple(self._build(c) for c in cb_ops),
                    loc(where),
                    extensions(where),
                )
                for name, ident, expression, cb_ops, where in op.callbacks
            ),
            security=requirement_names(security),
            tags=tuple(t for t in seq(node, "tags") if isinstance(t, str)) or tag_names(node),
            location=loc(node),
            extensions=extensions(node),
        )

    def _parameters(self, op: _Op) -> tuple[HttpParameter, ...]:
        idents = Namer()
        out = []
        for param in op.params:
            where = param.get("in")
            name = text(param, "name")
            if where not in LOCATIONS or name is None:
                self.ctx.diagnostics.warn(
                    f"{op.key}: parameter {name!r} in {where!r} is not supported", loc(param)
                )
                continue
            style, explode = param.get("style"), param.get("explode")
            default_style = "form" if where in ("query", "cookie") else "simple"
            if (style is not None and style != default_style) or (
                explode is not None and explode != (default_style == "form")
            ):
                self.ctx.diagnostics.warn(
                    f"{op.key}: parameter {name!r} has style={style or default_style!r} explode={explode!r}; "
                    "only the default serialisation is generated",
                    loc(param),
                )
            schema = param.get("schema")
            if schema is None:  # parameters described by `content`
                media = prefer_media(mapping(param, "content"))
                schema = mapping(mapping(param, "content"), media).get("schema") if media else None
            out.append(
                HttpParameter(
                    name=name,
                    ident=idents.name(name),
                    location=cast(Literal["path", "query", "header", "cookie"], where),
                    required=where == "path" or param.get("required") is True,
                    schema=self.ctx.inline_schema(schema) if schema is not None else {},
                    description=text(param, "description"),
                )
            )
        return tuple(out)

    def _request(self, body: Any) -> HttpBody | None:
        if not isinstance(body, Mapping):
            return None
        content = mapping(body, "content")
        media = prefer_media(content)
        if media is None:
            return None
        entry = mapping(content, media)
        examples = [entry["example"]] if "example" in entry else []
        examples += [
            e["value"] for e in mapping(entry, "examples").values() if isinstance(e, Mapping) and "value" in e
        ]
        return HttpBody(
            content_type=media,
            schema=self.ctx.schemas.get(entry.get("schema")),
            required=body.get("required") is True,
            description=text(body, "description"),
            examples=tuple(plain(e) for e in examples),  # data, never the spec's nodes
        )

    def _response(self, status: str, response: Any) -> HttpResponse:
        bodies = tuple(
            HttpBody(
                content_type=str(media),
                schema=self.ctx.schemas.get(entry.get("schema")) if isinstance(entry, Mapping) else None,
                description=text(response, "description"),
            )
            for media, entry in mapping(response, "content").items()
        )
        return HttpResponse(status=status, description=text(response, "description"), bodies=bodies)


def _param_key(param: Mapping[str, Any]) -> tuple[str, str]:
    return (repr(param.get("name")), repr(param.get("in")))


def _server(index: int, node: Any) -> Server:
    url = text(node, "url") or "/"
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url.removeprefix("//")
    protocol = scheme.lower() if scheme and "{" not in scheme else "http"
    host, slash, path = rest.partition("/") if not url.startswith("/") else ("", "/", url[1:])
    key = f"server{index}"
    return Server(
        key=key,
        ident=key,
        protocol=protocol,
        host=host,
        pathname=("/" + path) if slash else None,
        url=url,
        variables=server_variables(node),
        description=text(node, "description"),
        location=loc(node),
    )


def parse(doc: Document, diagnostics: Diagnostics) -> Api:
    return _Parser(doc, diagnostics).run()
