"""Views for the HTTP side of a service: REST routes, the subscription API and the webhook relay.

:func:`build_relay` is called by :func:`asyncgen.context.build_context`; templates
see its result as ``relay``. It decides

* which broker channels feed which webhook event types: an OpenAPI callback or
  webhook operation names its channel with ``x-asyncgen-channel`` (the channel's key
  or address; on the operation, the callback/webhook or the path item), else the one
  channel whose message has the same payload schema or the same name; more than one
  candidate is an error, as is a name that matches no channel;
* which REST operations become FastAPI routes calling the user's ``http_handlers``,
  and which are the built-in subscription API (same method and path shape as the
  subscription API: the operation that owns the callbacks is ``POST <prefix>``);
* how each route parameter is declared (``Annotated[type, Path(alias=...)]``), so
  FastAPI serves the spec's own names in ``/openapi.json``.

Every spec string printed by the templates goes through :func:`lit` (``repr``).
"""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from asyncgen.errors import GenerationError
from asyncgen.examples import _NOTHING, _resolve, synthesise, valid
from asyncgen.model import Api, Channel, HttpOperation, Message
from asyncgen.schemas import admits_null

PLACEHOLDER = re.compile(r"\{[^{}]*\}")
BODY_EXPR = re.compile(r"^\{?\$request\.body#/([^/{}]+)\}?$")
RESERVED = {"body", "request", "response", "tenant", "store", "settings", "models", "http_handlers"}
#: names of api.py's create_app() scope a route function may not take
API_NAMES = {
    *("healthz", "readyz", "metrics", "app", "tenant", "lifespan", "subscriptions", "replay"),
    *("dead_letters", "create_subscription", "list_subscriptions", "get_subscription"),
    *("delete_subscription", "rotate_secret", "enable_subscription", "create_app", "settings"),
    *("keys", "open_access", "the_store"),
}
JSON_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
CONSTRAINTS = {
    "pattern": "pattern",
    "minLength": "min_length",
    "maxLength": "max_length",
    "minimum": "ge",
    "maximum": "le",
    "exclusiveMinimum": "gt",
    "exclusiveMaximum": "lt",
}


class ModelsModule(Protocol):
    def class_name(self, schema_def_name: str) -> str: ...


class ProfileLike(Protocol):
    @property
    def key(self) -> str: ...

    @property
    def ack_policy(self) -> str | None: ...


class ChannelLike(Protocol):
    """What is needed of the service context's ``ChannelView``."""

    @property
    def channel(self) -> Channel: ...

    @property
    def address(self) -> str: ...

    @property
    def parameterised(self) -> bool: ...


def lit(value: Any) -> str:
    return repr(value)


def _names(reserved: Iterable[str] = ()) -> Any:
    used = set(reserved)

    def take(wanted: str) -> str:
        name = re.sub(r"\W", "_", wanted) or "x"
        if name[0].isdigit():
            name = "_" + name
        if keyword.iskeyword(name):
            name += "_"
        candidate, n = name, 2
        while candidate in used:
            candidate, n = f"{name}_{n}", n + 1
        used.add(candidate)
        return candidate

    return take


@dataclass
class EventSource:
    """One broker channel the relay consumes, and the event type(s) its messages are."""

    channel: Channel
    address: str
    event_types: list[str]
    function: str
    subscriber_args: str

    @property
    def key(self) -> str:
        return self.channel.key


@dataclass
class RouteParam:
    ident: str
    decl: str  # "customer_id: Annotated[str, Path(alias='customerId')]"
    required: bool


@dataclass
class NullCase:
    """What the generated API tests send to a route with a JSON body (``tests/test_api.py``): a
    valid body, the required parameters, and where a ``null`` is refused / allowed by the schema."""

    url: str = ""
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    #: an optional property whose schema does not allow null (its path in ``body``)
    refused: tuple[str | int, ...] | None = None
    #: an optional property whose schema allows null
    nullable: tuple[str | int, ...] | None = None
    #: why there is no test (no valid example body or parameter could be made)
    skip: str = ""


@dataclass
class RouteView:
    op: HttpOperation
    function: str
    params: list[RouteParam]
    body_class: str | None
    body_required: bool
    response_class: str | None
    status_code: int
    summary: str
    nulls: NullCase | None = None

    @property
    def method(self) -> str:
        return self.op.method

    @property
    def path(self) -> str:
        return self.op.path

    @property
    def key(self) -> str:
        return self.op.key

    @property
    def signature(self) -> str:
        parts = [p.decl for p in self.params if p.required]
        if self.body_class and self.body_required:
            parts.insert(0, f"body: models.{self.body_class}")
        if self.body_class and not self.body_required:
            parts.append(f"body: models.{self.body_class} | None = None")
        parts += [p.decl for p in self.params if not p.required]
        return ", ".join(parts)

    @property
    def handler_signature(self) -> str:
        """The user handler's parameters: plain types, no FastAPI markers."""
        return re.sub(r"Annotated\[(.*?), (Path|Query|Header|Cookie)\(.*?\)\]", r"\1", self.signature)

    @property
    def call_args(self) -> str:
        names = (["body"] if self.body_class else []) + [p.ident for p in self.params]
        return ", ".join(f"{n}={n}" for n in names)

    @property
    def secured(self) -> bool:
        return bool(self.op.security)

    @property
    def returns(self) -> str:
        return f"models.{self.response_class}" if self.response_class else "None"


@dataclass
class RelayView:
    enabled: bool = False
    sources: list[EventSource] = field(default_factory=list)
    routes: list[RouteView] = field(default_factory=list)
    #: the subscription API's path prefix and the spec's operation ids for its calls
    subscriptions_path: str = "/subscriptions"
    operation_ids: dict[str, str] = field(default_factory=dict)
    callback_field: str = "callbackUrl"
    ack_policy: str | None = None
    broker_key: str = "kafka"

    @property
    def api(self) -> bool:
        """Whether ``api.py`` is generated (REST routes or the subscription API)."""
        return self.enabled or bool(self.routes)

    @property
    def event_types(self) -> list[str]:
        return list(dict.fromkeys(t for s in self.sources for t in s.event_types))

    @property
    def body_routes(self) -> list[RouteView]:
        """The routes with a JSON request body (their nulls are checked: ``api._refuse_null``)."""
        return [r for r in self.routes if r.body_class]

    @property
    def models_used(self) -> bool:
        return any(r.body_class or r.response_class for r in self.routes)

    @property
    def typing_names(self) -> list[str]:
        code = " ".join(r.signature for r in self.routes)
        return [n for n in ("Annotated", "Literal") if n + "[" in code]

    @property
    def fastapi_names(self) -> list[str]:
        code = " ".join(r.signature for r in self.routes)
        return [n for n in ("Cookie", "Header", "Path", "Query") if f"{n}(" in code]


def build_relay(
    api: Api,
    params: Mapping[str, Any],
    models: ModelsModule,
    channel_views: Sequence[ChannelLike],
    profile: ProfileLike,
) -> RelayView:
    """The ``relay`` context variable (see the module docstring)."""
    mode = str(params.get("relay", "auto"))
    broker_key = profile.key
    view = RelayView(ack_policy=profile.ack_policy, broker_key=broker_key)
    channels = {c.channel.key: c for c in channel_views}
    links = _links(api)
    if mode == "off":
        links = {}
    elif not links and (mode == "on" or _has_http_server(api)):
        links = {op.channel.key: [] for op in api.operations if op.action == "send"}
    take = _names()
    for ch in api.channels:
        if ch.key not in links:
            continue
        ch_view = channels.get(ch.key)
        address = ch_view.address if ch_view is not None else (ch.address or ch.key)
        if (ch_view is not None and ch_view.parameterised) or "{" in address:
            raise GenerationError(
                f"channel {ch.key!r} ({address}) has parameters: the webhook relay consumes fixed "
                "addresses only; link the callback to a channel without parameters"
            )
        types = [_event_type(m) for m in ch.messages] or [ch.key]
        view.sources.append(
            EventSource(ch, address, types, take(f"relay_{ch.ident}"), _subscriber_args(address, broker_key))
        )
    view.enabled = bool(view.sources)
    _subscription_api(api, view)
    view.routes = _routes(api, view, models)
    return view


def _event_type(message: Message) -> str:
    return message.name or message.event_type or message.key


def _has_http_server(api: Api) -> bool:
    return api.family == "asyncapi" and any(s.protocol in ("http", "https") for s in api.servers)


def _subscriber_args(address: str, broker_key: str) -> str:
    if broker_key == "kafka":
        return f"{lit(address)}, group_id=settings.relay_group, auto_offset_reset='earliest'"
    if broker_key == "mqtt":
        return f"{lit(address)}, qos=QoS(1)"
    return lit(address)


def _callback_ops(api: Api) -> list[tuple[str, HttpOperation, Mapping[str, Any]]]:
    """(label, operation, the enclosing callback/webhook's extensions) for every outgoing call."""
    found = []
    for op in api.http_operations:
        for cb in op.callbacks:
            for cop in cb.operations:
                found.append((f"callback {cb.name!r} of {op.key!r}", cop, cb.extensions))
    for hook in api.webhooks:
        for hop in hook.operations:
            found.append((f"webhook {hook.name!r}", hop, hook.extensions))
    return found


def _links(api: Api) -> dict[str, list[str]]:
    """channel key -> the callback/webhook operations it feeds."""
    links: dict[str, list[str]] = {}
    by_key = {c.key: c for c in api.channels}
    by_address = {c.address: c for c in api.channels if c.address}
    for label, op, outer in _callback_ops(api):
        named = op.extensions.get("x-asyncgen-channel", outer.get("x-asyncgen-channel"))
        if named is not None:
            chosen = by_key.get(str(named)) or by_address.get(str(named))
            if chosen is None:
                raise GenerationError(
                    f"{label}: x-asyncgen-channel {named!r} is no channel of the AsyncAPI document "
                    f"(channels: {', '.join(sorted(by_key)) or 'none'})"
                )
            links.setdefault(chosen.key, []).append(op.key)
            continue
        if not api.channels:
            continue  # an OpenAPI document on its own: no broker feeds the callbacks
        body = op.request_body.schema.name if op.request_body and op.request_body.schema else None
        candidates = [
            c
            for c in api.channels
            if any((body and m.payload and m.payload.name == body) or m.name == op.key for m in c.messages)
        ]
        if len(candidates) != 1:
            what = "several channels" if candidates else "no channel"
            names = ", ".join(c.key for c in candidates)
            raise GenerationError(
                f"{label} ({op.location}): {what} carr{'y' if candidates else 'ies'} its payload "
                f"{body or op.key!r}{': ' + names if names else ''}; name the channel that feeds it "
                "with `x-asyncgen-channel: <channel key>`"
            )
        links.setdefault(candidates[0].key, []).append(op.key)
    return links


def _shape(path: str) -> str:
    return PLACEHOLDER.sub("{}", path.rstrip("/"))


def _subscription_api(api: Api, view: RelayView) -> None:
    """Find the spec's subscription operations (the one owning callbacks is the create call)."""
    owner = next((op for op in api.http_operations if op.callbacks), None)
    if owner is not None:
        view.subscriptions_path = owner.path.rstrip("/")
        expr = owner.callbacks[0].expression
        match = BODY_EXPR.match(expr)
        if match is None:
            raise GenerationError(
                f"callback {owner.callbacks[0].name!r} of {owner.key!r}: the expression {expr!r} is not "
                "supported; the subscription API reads the callback URL from the request body "
                "({$request.body#/<field>})"
            )
        view.callback_field = match.group(1).replace("~1", "/").replace("~0", "~")
    prefix = _shape(view.subscriptions_path)
    calls = {
        ("post", prefix): "create",
        ("get", prefix): "list",
        ("get", prefix + "/{}"): "get",
        ("delete", prefix + "/{}"): "delete",
        ("post", prefix + "/{}/rotate-secret"): "rotate",
    }
    for op in api.http_operations:
        call = calls.get((op.method, _shape(op.path)))
        if call is not None and view.enabled:
            view.operation_ids[call] = op.key
    defaults = {
        "create": "createSubscription",
        "list": "listSubscriptions",
        "get": "getSubscription",
        "delete": "deleteSubscription",
        "rotate": "rotateSubscriptionSecret",
    }
    for call, default in defaults.items():
        view.operation_ids.setdefault(call, default)


def _routes(api: Api, view: RelayView, models: ModelsModule) -> list[RouteView]:
    defs = {d.name: dict(d.schema) for d in api.schemas}
    builtin = set(view.operation_ids.values()) if view.enabled else set()
    take = _names(API_NAMES)
    routes = []
    for op in api.http_operations:
        if op.key in builtin:
            continue
        names = _names(RESERVED)
        params = []
        for p in op.parameters:
            if p.location == "cookie":
                kind = "Cookie"
            else:
                kind = p.location.capitalize()
            params.append(
                _param(
                    p.ident,
                    p.name,
                    kind,
                    required=p.required or p.location == "path",
                    schema=p.schema,
                    take=names,
                )
            )
        body_class = None
        body_required = False
        if op.request_body and op.request_body.schema and _json(op.request_body.content_type):
            body_class = models.class_name(op.request_body.schema.name)
            body_required = op.request_body.required
        status, response_class = 200, None
        for r in op.responses:
            if r.status.isdigit() and r.status.startswith("2"):
                status = int(r.status)
                schema = next((b.schema for b in r.bodies if b.schema and _json(b.content_type)), None)
                response_class = models.class_name(schema.name) if schema else None
                break
        routes.append(
            RouteView(
                op=op,
                function=take(op.ident),
                params=params,
                body_class=body_class,
                body_required=body_required,
                response_class=response_class if status != 204 else None,
                status_code=status,
                summary=op.summary or op.description or op.key,
                nulls=_null_case(op, defs) if body_class else None,
            )
        )
    return routes


def _null_case(op: HttpOperation, defs: Mapping[str, Any]) -> NullCase:
    """The generated API tests' request for ``op`` (see :class:`NullCase`), synthesised like the
    message examples (``asyncgen.examples``); the properties are judged by ``schemas.admits_null``,
    as the models' ``exclude_if`` is."""
    assert op.request_body is not None and op.request_body.schema is not None
    case = NullCase(url=op.path)
    for p in op.parameters:
        if not (p.required or p.location == "path"):
            continue
        value = synthesise(dict(p.schema), defs)
        if value is _NOTHING or not valid(value, dict(p.schema), defs):
            case.skip = f"no valid example value for the {p.location} parameter {p.name!r}"
            return case
        text = value if isinstance(value, str) else json.dumps(value)
        if p.location == "path":
            case.url = case.url.replace("{" + p.name + "}", text)
        elif p.location == "query":
            case.query[p.name] = text
        elif p.location == "header":
            case.headers[p.name] = text
        else:
            case.skip = f"the cookie parameter {p.name!r} is not sent by the generated tests"
            return case
    schema = dict(op.request_body.schema.schema)
    body = next(
        (e for e in op.request_body.examples if isinstance(e, dict) and valid(e, schema, defs)), _NOTHING
    )
    if body is _NOTHING:
        body = synthesise(schema, defs)
    if body is _NOTHING or not valid(body, schema, defs):
        case.skip = "no valid example body in the spec and none could be synthesised from the schema"
        return case
    case.body = body
    todo: list[tuple[tuple[str | int, ...], Any, Any]] = [((), schema, body)]
    while todo and (case.refused is None or case.nullable is None):
        path, sub, value = todo.pop(0)
        sub = _resolved(sub, defs)
        if isinstance(value, list) and value and isinstance(sub.get("items"), Mapping):
            todo.append(((*path, 0), sub["items"], value[0]))
        if not isinstance(value, dict):
            continue
        props, required = _object_properties(sub, defs)
        for name, prop in props.items():
            if name not in required:
                if not admits_null(prop, defs):
                    if case.refused is None and valid(_with(body, (*path, name), _ABSENT), schema, defs):
                        case.refused = (*path, name)
                elif (
                    case.nullable is None
                    and _says_nullable(prop, defs)
                    and valid(_with(body, (*path, name), None), schema, defs)
                ):
                    case.nullable = (*path, name)
            if name in value:
                todo.append(((*path, name), prop, value[name]))
    return case


_ABSENT: Any = object()


def _with(value: Any, path: tuple[str | int, ...], new: Any) -> Any:
    """A copy of the JSON ``value`` with ``new`` at ``path`` (``_ABSENT``: the member left out)."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        out = dict(value)
        if not rest and new is _ABSENT:
            out.pop(str(head), None)
        else:
            out[str(head)] = _with(value.get(str(head)), rest, new)
        return out
    if isinstance(value, list) and isinstance(head, int):
        items = list(value)
        items[head] = _with(items[head], rest, new)
        return items
    return value


def _resolved(schema: Any, defs: Mapping[str, Any]) -> Mapping[str, Any]:
    return _resolve(schema, defs) if isinstance(schema, Mapping) else {}


def _object_properties(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """An object schema's properties and required names, its ``allOf`` parts' included."""
    props: dict[str, Any] = {}
    required: set[str] = set()
    for part in schema.get("allOf") or ():
        more, needed = _object_properties(_resolved(part, defs), defs)
        props.update(more)
        required |= needed
    if isinstance(schema.get("properties"), Mapping):
        props.update(schema["properties"])
    required |= {r for r in schema.get("required") or () if isinstance(r, str)}
    return props, required


def _says_nullable(schema: Any, defs: Mapping[str, Any]) -> bool:
    """Whether a schema allows null in so many words (not merely by being unconstrained)."""
    schema = _resolved(schema, defs)
    types = schema.get("type")
    if schema.get("nullable") is True or (isinstance(types, list) and "null" in types) or types == "null":
        return True
    return any(
        isinstance(b, Mapping) and _says_nullable(b, defs)
        for key in ("oneOf", "anyOf")
        for b in schema.get(key) or ()
    )


def _json(content_type: str) -> bool:
    base = content_type.split(";", 1)[0].strip().lower()
    return base in ("application/json", "text/json") or base.endswith("+json")


def _param(
    ident: str, name: str, kind: str, *, required: bool, schema: Mapping[str, Any], take: Any
) -> RouteParam:
    py = take(ident)
    typ = _py_type(schema)
    args = [f"alias={lit(name)}"]
    for key, kw in CONSTRAINTS.items():
        value = schema.get(key)
        if isinstance(value, (int, float, str)) and not isinstance(value, bool) and "[" not in typ:
            if key == "pattern" and typ != "str":
                continue
            args.append(f"{kw}={lit(value)}")
    if kind == "Header":
        args.append("convert_underscores=False")
    annotated = f"Annotated[{typ}, {kind}({', '.join(args)})]"
    if required:
        return RouteParam(py, f"{py}: {annotated}", True)
    default = schema.get("default")
    if default is not None and isinstance(default, (str, int, float, bool)):
        return RouteParam(py, f"{py}: {annotated} = {lit(default)}", False)
    annotated = f"Annotated[{typ} | None, {kind}({', '.join(args)})]"
    return RouteParam(py, f"{py}: {annotated} = None", False)


def _py_type(schema: Mapping[str, Any]) -> str:
    enum = schema.get("enum")
    if isinstance(enum, Sequence) and not isinstance(enum, str) and enum:
        if all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in enum):
            return "Literal[" + ", ".join(lit(v) for v in enum) + "]"
    typ = schema.get("type")
    if isinstance(typ, list):
        typ = next((t for t in typ if t != "null"), None)
    if typ == "array":
        items = schema.get("items")
        inner = _py_type(items) if isinstance(items, Mapping) else "str"
        return f"list[{inner}]"
    return JSON_TYPES.get(str(typ), "str")
