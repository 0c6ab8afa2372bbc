"""Contract-level diff on the IR: one change per pair, classified per mode.

The pairs are built as IR (``asyncgen.model``) from one base service, so they do
not depend on the loader or parser; ``test_diff_cli.py`` runs real spec files
through the whole pipeline. ``breaks``: "B" = BACKWARD (and BACKWARD_TRANSITIVE),
"F" = FORWARD, "BF" = both, "-" = neither; FULL breaks when either does, NONE never.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from asyncgen.diff.changes import Mode, app_first_safe, is_breaking, peers_first_safe
from asyncgen.diff.contract import diff_apis
from asyncgen.model import (
    Api,
    Callback,
    Channel,
    CorrelationId,
    HttpBody,
    HttpOperation,
    HttpParameter,
    HttpResponse,
    Message,
    Operation,
    Parameter,
    Reply,
    SchemaDef,
    Server,
    Webhook,
)

ORDER = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "total": {"type": "number"},
        "status": {"type": "string", "enum": ["new", "paid"]},
    },
    "required": ["id"],
}
CANCEL = {"type": "object", "properties": {"orderId": {"type": "string"}, "reason": {"type": "string"}}}
ACK = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
HEADERS = {"type": "object", "properties": {"traceId": {"type": "string"}}}


def sdef(name: str, schema: dict[str, Any], **kw: Any) -> SchemaDef:
    return SchemaDef(name=name, schema=schema, **kw)


def msg(key: str, payload: dict[str, Any] | SchemaDef, **kw: Any) -> Message:
    sd = payload if isinstance(payload, SchemaDef) else sdef(f"{key}Payload", payload)
    return Message(key=key, ident=key.lower(), class_name=key, name=kw.pop("name", key), payload=sd, **kw)


def chan(key: str, address: str, messages: tuple[Message, ...], **kw: Any) -> Channel:
    return Channel(key=key, ident=key.lower(), address=address, messages=messages, **kw)


def op(key: str, action: str, channel: Channel, **kw: Any) -> Operation:
    messages = kw.pop("messages", channel.messages)
    return Operation(key=key, ident=key.lower(), action=action, channel=channel, messages=messages, **kw)  # type: ignore[arg-type]


def build(
    *,
    created: Message | None = None,
    extra_created: tuple[Message, ...] = (),
    created_channel: dict[str, Any] | None = None,
    cancel_payload: dict[str, Any] = CANCEL,
    ack_payload: dict[str, Any] = ACK,
    send_key: str = "publishOrderCreated",
    send_action: str = "send",
    send_messages: tuple[str, ...] | None = None,
    reply: Reply | str | None = "default",
    servers: tuple[Server, ...] | None = None,
    with_cancel_op: bool = True,
    extra_channels: tuple[Channel, ...] = (),
    extra_ops: tuple[Operation, ...] = (),
    http: tuple[HttpOperation, ...] = (),
    webhooks: tuple[Webhook, ...] = (),
) -> Api:
    created = created or msg("OrderCreated", ORDER, headers=sdef("OrderHeaders", HEADERS))
    cc: dict[str, Any] = {
        "key": "orderCreated",
        "address": "orders.{region}.created",
        "parameters": (Parameter(name="region", ident="region", enum=("eu", "us")),),
        **(created_channel or {}),
    }
    created_ch = chan(cc.pop("key"), cc.pop("address"), (created, *extra_created), **cc)
    cancel = msg("OrderCancelled", cancel_payload)
    ack = msg("CancelAck", ack_payload)
    cancel_ch = chan("orderCancelled", "orders.cancelled", (cancel,))
    ack_ch = chan("cancelAck", "orders.cancelled.ack", (ack,))
    default_reply = Reply(channel=ack_ch, messages=(ack,))
    sent = created_ch.messages
    if send_messages is not None:
        sent = tuple(m for m in created_ch.messages if m.key in send_messages)
    ops = [op(send_key, send_action, created_ch, messages=sent)]
    if with_cancel_op:
        ops.append(
            op("onOrderCancelled", "receive", cancel_ch, reply=default_reply if reply == "default" else reply)
        )
    schemas = tuple(
        m.payload for ch in (created_ch, cancel_ch, ack_ch) for m in ch.messages if m.payload is not None
    )
    return Api(
        family="asyncapi",
        spec_version="3.0.0",
        title="Orders",
        version="1.0.0",
        package="orders",
        servers=servers
        if servers is not None
        else (
            Server(key="prod", ident="prod", protocol="kafka", host="kafka-1:9092"),
            Server(key="backup", ident="backup", protocol="kafka", host="kafka-2:9092"),
        ),
        channels=(created_ch, cancel_ch, ack_ch, *extra_channels),
        operations=(*ops, *extra_ops),
        schemas=schemas,
        http_operations=http,
        webhooks=webhooks,
    )


def created_with(payload: dict[str, Any], **kw: Any) -> Message:
    return msg("OrderCreated", payload, headers=kw.pop("headers", sdef("OrderHeaders", HEADERS)), **kw)


def order(**changes: Any) -> dict[str, Any]:
    props = {**ORDER["properties"], **changes.pop("props", {})}  # type: ignore[dict-item]
    for name in changes.pop("drop", ()):
        props.pop(name)
    return {**ORDER, "properties": props, **changes}


def http_api(ops: tuple[HttpOperation, ...], webhooks: tuple[Webhook, ...] = ()) -> Api:
    return replace(build(), family="openapi", http_operations=ops, webhooks=webhooks)


def get_order(**kw: Any) -> HttpOperation:
    base: dict[str, Any] = {
        "key": "getOrder",
        "ident": "get_order",
        "method": "get",
        "path": "/orders/{orderId}",
        "parameters": (
            HttpParameter("orderId", "order_id", "path", True, {"type": "string"}),
            HttpParameter("expand", "expand", "query", False, {"type": "string"}),
        ),
        "responses": (
            HttpResponse("200", bodies=(HttpBody("application/json", sdef("Order", ORDER)),)),
            HttpResponse("404"),
        ),
    }
    base.update(kw)
    return HttpOperation(**base)


def create_order(**kw: Any) -> HttpOperation:
    base: dict[str, Any] = {
        "key": "createOrder",
        "ident": "create_order",
        "method": "post",
        "path": "/orders",
        "request_body": HttpBody("application/json", sdef("NewOrder", ORDER), required=False),
        "responses": (HttpResponse("201"),),
        "callbacks": (
            Callback(
                "orderShipped",
                "order_shipped",
                "{$request.body#/callbackUrl}",
                (HttpOperation("shipped", "shipped", "post", "{$request.body#/callbackUrl}"),),
            ),
        ),
    }
    base.update(kw)
    return HttpOperation(**base)


QUERY_REQ = HttpParameter("tenant", "tenant", "query", True, {"type": "string"})
QUERY_OPT = HttpParameter("tenant", "tenant", "query", False, {"type": "string"})
EXPAND_REQ = HttpParameter("expand", "expand", "query", True, {"type": "string"})
ORDER_ID = HttpParameter("orderId", "order_id", "path", True, {"type": "string"})
HOOK = Webhook("orderPaid", "order_paid", (HttpOperation("orderPaid", "order_paid", "post", "orderPaid"),))
PAID = chan("orderPaid", "orders.paid", (msg("OrderPaid", ACK),))

BASE = build()
HTTP_BASE = http_api((get_order(), create_order()), (HOOK,))

Case = tuple[str, Callable[[], Api], Callable[[], Api], list[str], str]

CASES: list[Case] = [
    # -- channels
    (
        "channel removed",
        lambda: build(extra_channels=(PAID,), extra_ops=(op("onPaid", "receive", PAID),)),
        lambda: BASE,
        ["channel-removed", "operation-removed"],
        "BF",
    ),
    (
        "channel added",
        lambda: BASE,
        lambda: build(extra_channels=(PAID,), extra_ops=(op("onPaid", "receive", PAID),)),
        ["channel-added", "operation-added"],
        "-",
    ),
    (
        "channel renamed",
        lambda: BASE,
        lambda: build(created_channel={"key": "orderPlaced"}),
        ["channel-renamed"],
        "BF",
    ),
    (
        "address changed",
        lambda: BASE,
        lambda: build(created_channel={"address": "orders.{region}.placed"}),
        ["address-changed"],
        "BF",
    ),
    (
        "parameter enum narrowed",
        lambda: BASE,
        lambda: build(created_channel={"parameters": (Parameter("region", "region", enum=("eu",)),)}),
        ["enum-value-removed"],
        "B",
    ),
    (
        "parameter enum widened",
        lambda: BASE,
        lambda: build(
            created_channel={"parameters": (Parameter("region", "region", enum=("eu", "us", "ap")),)}
        ),
        ["enum-value-added"],
        "F",
    ),
    (
        "parameter added",
        lambda: BASE,
        lambda: build(
            created_channel={
                "address": "orders.{region}.{shop}.created",
                "parameters": (Parameter("region", "region", enum=("eu", "us")), Parameter("shop", "shop")),
            }
        ),
        ["address-changed", "parameter-added"],
        "BF",
    ),
    (
        "channel dropped from a server",
        lambda: BASE,
        lambda: build(created_channel={"servers": ("prod",)}),
        ["channel-servers-removed"],
        "BF",
    ),
    # -- messages
    (
        "message added",
        lambda: BASE,
        lambda: build(extra_created=(msg("OrderUpdated", CANCEL),)),
        ["message-added"],
        "F",
    ),
    (
        "message removed",
        lambda: build(extra_created=(msg("OrderUpdated", CANCEL),)),
        lambda: BASE,
        ["message-removed"],
        "B",
    ),
    (
        "message renamed",
        lambda: BASE,
        lambda: build(created=replace(created_with(ORDER), key="OrderPlaced", name="OrderPlaced")),
        ["message-renamed"],
        "BF",
    ),
    (
        "payload type narrowed (sent)",
        lambda: BASE,
        lambda: build(created=created_with(order(props={"total": {"type": "integer"}}))),
        ["type-narrowed"],
        "B",
    ),
    (
        "payload required field added (sent)",
        lambda: BASE,
        lambda: build(
            created=created_with(order(props={"currency": {"type": "string"}}, required=["id", "currency"]))
        ),
        ["property-added"],
        "B",
    ),
    (
        "payload optional field added",
        lambda: BASE,
        lambda: build(created=created_with(order(props={"note": {"type": "string"}}))),
        ["property-added"],
        "-",
    ),
    (
        "payload enum value added",
        lambda: BASE,
        lambda: build(
            created=created_with(order(props={"status": {"type": "string", "enum": ["new", "paid", "x"]}}))
        ),
        ["enum-value-added"],
        "F",
    ),
    (
        "payload field removed (received)",
        lambda: BASE,
        lambda: build(cancel_payload={"type": "object", "properties": {"orderId": {"type": "string"}}}),
        ["property-removed"],
        "-",
    ),
    (
        "payload field made required (received)",
        lambda: BASE,
        lambda: build(cancel_payload={**CANCEL, "required": ["reason"]}),
        ["required-added"],
        "B",
    ),
    (
        "header made required",
        lambda: BASE,
        lambda: build(
            created=created_with(ORDER, headers=sdef("OrderHeaders", {**HEADERS, "required": ["traceId"]}))
        ),
        ["required-added"],
        "B",
    ),
    (
        "content type changed",
        lambda: BASE,
        lambda: build(created=created_with(ORDER, content_type="application/xml")),
        ["content-type-changed"],
        "BF",
    ),
    (
        "correlation id moved",
        lambda: build(created=created_with(ORDER, correlation_id=CorrelationId("$message.header#/traceId"))),
        lambda: build(created=created_with(ORDER, correlation_id=CorrelationId("$message.payload#/id"))),
        ["correlation-id-changed"],
        "BF",
    ),
    (
        "schema format changed",
        lambda: BASE,
        lambda: build(
            created=replace(
                created_with(ORDER),
                payload=sdef(
                    "OrderCreatedPayload", ORDER, schema_format="application/vnd.apache.avro;version=1.9.0"
                ),
            )
        ),
        ["schema-format-changed"],
        "BF",
    ),
    # -- operations
    ("operation removed", lambda: BASE, lambda: build(with_cancel_op=False), ["operation-removed"], "BF"),
    ("operation added", lambda: build(with_cancel_op=False), lambda: BASE, ["operation-added"], "-"),
    (
        "operation renamed",
        lambda: BASE,
        lambda: build(send_key="sendOrderCreated"),
        ["operation-renamed"],
        "BF",
    ),
    ("action flipped", lambda: BASE, lambda: build(send_action="receive"), ["action-changed"], "BF"),
    (
        "operation stops sending a message",
        lambda: build(extra_created=(msg("OrderUpdated", CANCEL),)),
        lambda: build(extra_created=(msg("OrderUpdated", CANCEL),), send_messages=("OrderCreated",)),
        ["operation-message-removed"],
        "B",
    ),
    ("reply removed", lambda: BASE, lambda: build(reply=None), ["reply-removed"], "BF"),
    ("reply added", lambda: build(reply=None), lambda: BASE, ["reply-added"], "-"),
    (
        "reply payload narrowed",
        lambda: BASE,
        lambda: build(ack_payload={**ACK, "required": ["ok"]}),
        ["required-added"],
        "B",
    ),
    (
        "reply-only channel payload narrowed",
        lambda: build(
            reply=Reply(channel=chan("acks", "orders.acks", (m := msg("Ack", ACK),)), messages=(m,))
        ),
        lambda: build(
            reply=Reply(
                channel=chan("acks", "orders.acks", (n := msg("Ack", {**ACK, "required": ["ok"]}),)),
                messages=(n,),
            )
        ),
        ["required-added"],
        "B",
    ),
    (
        "reply message added",
        lambda: BASE,
        lambda: build(
            reply=Reply(
                channel=BASE.channels[2], messages=(*BASE.channels[2].messages, BASE.channels[1].messages[0])
            )
        ),
        ["reply-message-added"],
        "F",
    ),
    # -- servers
    ("server removed", lambda: BASE, lambda: build(servers=BASE.servers[:1]), ["server-removed"], "BF"),
    ("server added", lambda: build(servers=BASE.servers[:1]), lambda: BASE, ["server-added"], "-"),
    (
        "protocol changed",
        lambda: BASE,
        lambda: build(servers=tuple(replace(s, protocol="amqp") for s in BASE.servers)),
        ["protocol-changed", "protocol-changed", "protocol-removed"],
        "BF",
    ),
    (
        "server url changed",
        lambda: BASE,
        lambda: build(servers=(replace(BASE.servers[0], host="kafka-9:9092"), BASE.servers[1])),
        ["server-url-changed"],
        "-",
    ),
    (
        "message bindings changed",
        lambda: BASE,
        lambda: build(created=created_with(ORDER, bindings={"kafka": {"key": {"type": "string"}}})),
        ["bindings-added"],
        "-",
    ),
    (
        "server security introduced",
        lambda: BASE,
        lambda: build(servers=(replace(BASE.servers[0], security=("sasl",)), BASE.servers[1])),
        ["security-added"],
        "B",
    ),
    # -- HTTP
    (
        "http path removed",
        lambda: HTTP_BASE,
        lambda: http_api((create_order(),), (HOOK,)),
        ["http-operation-removed"],
        "BF",
    ),
    (
        "http path added",
        lambda: http_api((create_order(),), (HOOK,)),
        lambda: HTTP_BASE,
        ["http-operation-added"],
        "-",
    ),
    (
        "http route moved",
        lambda: HTTP_BASE,
        lambda: http_api((get_order(path="/v2/orders/{orderId}"), create_order()), (HOOK,)),
        ["http-route-changed"],
        "BF",
    ),
    (
        "http operationId renamed",
        lambda: HTTP_BASE,
        lambda: http_api((get_order(key="fetchOrder"), create_order()), (HOOK,)),
        ["operation-renamed"],
        "BF",
    ),
    (
        "path parameter renamed only",
        lambda: HTTP_BASE,
        lambda: http_api(
            (
                get_order(
                    path="/orders/{id}",
                    parameters=(
                        HttpParameter("id", "id", "path", True, {"type": "string"}),
                        HttpParameter("expand", "expand", "query", False, {"type": "string"}),
                    ),
                ),
                create_order(),
            ),
            (HOOK,),
        ),
        [],
        "-",
    ),
    (
        "required query parameter added",
        lambda: HTTP_BASE,
        lambda: http_api(
            (get_order(parameters=(*get_order().parameters, QUERY_REQ)), create_order()), (HOOK,)
        ),
        ["parameter-added"],
        "B",
    ),
    (
        "optional query parameter added",
        lambda: HTTP_BASE,
        lambda: http_api(
            (get_order(parameters=(*get_order().parameters, QUERY_OPT)), create_order()), (HOOK,)
        ),
        ["parameter-added"],
        "-",
    ),
    (
        "query parameter made required",
        lambda: HTTP_BASE,
        lambda: http_api((get_order(parameters=(ORDER_ID, EXPAND_REQ)), create_order()), (HOOK,)),
        ["parameter-required-added"],
        "B",
    ),
    (
        "required query parameter removed",
        lambda: http_api((get_order(parameters=(ORDER_ID, EXPAND_REQ)), create_order()), (HOOK,)),
        lambda: http_api((get_order(parameters=(ORDER_ID,)), create_order()), (HOOK,)),
        ["parameter-removed"],
        "F",
    ),
    (
        "request body made required",
        lambda: HTTP_BASE,
        lambda: http_api(
            (
                get_order(),
                create_order(
                    request_body=HttpBody("application/json", sdef("NewOrder", ORDER), required=True)
                ),
            ),
            (HOOK,),
        ),
        ["request-body-required-added"],
        "B",
    ),
    (
        "request content type swapped",
        lambda: HTTP_BASE,
        lambda: http_api(
            (get_order(), create_order(request_body=HttpBody("application/xml", sdef("NewOrder", ORDER)))),
            (HOOK,),
        ),
        ["content-type-removed", "content-type-added"],
        "BF",
    ),
    (
        "response status added",
        lambda: HTTP_BASE,
        lambda: http_api(
            (get_order(responses=(*get_order().responses, HttpResponse("410"))), create_order()), (HOOK,)
        ),
        ["response-added"],
        "F",
    ),
    (
        "response status removed",
        lambda: HTTP_BASE,
        lambda: http_api((get_order(responses=get_order().responses[:1]), create_order()), (HOOK,)),
        ["response-removed"],
        "B",
    ),
    (
        "response field widened",
        lambda: HTTP_BASE,
        lambda: http_api(
            (
                get_order(
                    responses=(
                        HttpResponse(
                            "200",
                            bodies=(
                                HttpBody(
                                    "application/json",
                                    sdef("Order", order(props={"total": {"type": ["number", "string"]}})),
                                ),
                            ),
                        ),
                        HttpResponse("404"),
                    )
                ),
                create_order(),
            ),
            (HOOK,),
        ),
        ["type-widened"],
        "F",
    ),
    (
        "http security introduced",
        lambda: HTTP_BASE,
        lambda: http_api((get_order(security=("apiKey",)), create_order()), (HOOK,)),
        ["security-added"],
        "B",
    ),
    (
        "http security alternative added",
        lambda: http_api((get_order(security=("apiKey",)), create_order()), (HOOK,)),
        lambda: http_api((get_order(security=("apiKey", "oauth")), create_order()), (HOOK,)),
        ["security-changed"],
        "F",
    ),
    (
        "http security alternative removed",
        lambda: http_api((get_order(security=("apiKey", "oauth")), create_order()), (HOOK,)),
        lambda: http_api((get_order(security=("oauth",)), create_order()), (HOOK,)),
        ["security-changed"],
        "B",
    ),
    (
        "callback removed",
        lambda: HTTP_BASE,
        lambda: http_api((get_order(), create_order(callbacks=())), (HOOK,)),
        ["callback-removed"],
        "BF",
    ),
    (
        "webhook removed",
        lambda: HTTP_BASE,
        lambda: http_api((get_order(), create_order())),
        ["webhook-removed"],
        "BF",
    ),
]


@pytest.mark.parametrize(("old", "new", "kinds", "breaks"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_contract_change(
    old: Callable[[], Api], new: Callable[[], Api], kinds: list[str], breaks: str
) -> None:
    changes = diff_apis(old(), new())
    assert [c.kind for c in changes] == kinds, [f"{c.path}: {c.detail}" for c in changes]
    assert is_breaking(changes, Mode.BACKWARD) is ("B" in breaks)
    assert is_breaking(changes, Mode.BACKWARD_TRANSITIVE) is ("B" in breaks)
    assert is_breaking(changes, Mode.FORWARD) is ("F" in breaks)
    assert is_breaking(changes, Mode.FORWARD_TRANSITIVE) is ("F" in breaks)
    assert is_breaking(changes, Mode.FULL) is (breaks != "-")
    assert not is_breaking(changes, Mode.NONE)


def test_enough_contract_pairs() -> None:
    assert len(CASES) >= 24


def test_identical_apis_have_no_changes() -> None:
    assert diff_apis(BASE, build()) == []
    assert diff_apis(HTTP_BASE, http_api((get_order(), create_order()), (HOOK,))) == []


def test_payload_change_path_and_affected_side() -> None:
    new = build(created=created_with(order(props={"total": {"type": "integer"}})))
    [change] = diff_apis(BASE, new)
    assert change.path == "channels/orderCreated/messages/OrderCreated/payload/properties/total"
    assert change.detail == "type narrowed number -> integer"
    assert change.affects == "app sends: its consumers read"
    [received] = diff_apis(BASE, build(cancel_payload={**CANCEL, "required": ["reason"]}))
    assert received.affects == "app receives: the app reads"


def test_reply_payload_is_reported_once_with_the_reply_direction() -> None:
    [change] = diff_apis(BASE, build(ack_payload={**ACK, "required": ["ok"]}))
    assert change.path == "channels/cancelAck/messages/CancelAck/payload/properties/ok"
    assert change.affects == "app sends: its consumers read"  # the reply of a receive


def test_renamed_channel_keeps_comparing_its_messages() -> None:
    new = build(
        created_channel={"key": "orderPlaced"},
        created=created_with(order(props={"total": {"type": "integer"}})),
    )
    kinds = [(c.kind, c.path) for c in diff_apis(BASE, new)]
    assert kinds == [
        ("channel-renamed", "channels/orderPlaced"),
        ("type-narrowed", "channels/orderPlaced/messages/OrderCreated/payload/properties/total"),
    ]


# -- rollout: which side may go first (the action decides) -----------------------------


@pytest.mark.parametrize(
    ("old", "new", "app_first", "peers_first"),
    [
        pytest.param(
            lambda: BASE,
            lambda: build(created=created_with(order(props={"total": {"type": "integer"}}))),
            True,
            False,
            id="sent-message-narrowed: consumers on OLD still read the NEW app's data",
        ),
        pytest.param(
            lambda: BASE,
            lambda: build(cancel_payload={**CANCEL, "required": ["reason"]}),
            False,
            True,
            id="received-message-narrowed: producers must go first",
        ),
        pytest.param(
            lambda: BASE,
            lambda: build(created=created_with(order(props={"status": {"enum": ["new", "paid", "x"]}}))),
            False,
            True,
            id="sent-message-widened: consumers must go first",
        ),
        pytest.param(
            lambda: HTTP_BASE,
            lambda: http_api(
                (get_order(parameters=(*get_order().parameters, QUERY_REQ)), create_order()), (HOOK,)
            ),
            False,
            True,
            id="required-parameter-added: clients first",
        ),
        pytest.param(
            lambda: HTTP_BASE,
            lambda: http_api(
                (get_order(responses=(*get_order().responses, HttpResponse("410"))), create_order()), (HOOK,)
            ),
            False,
            True,
            id="response-added: clients first",
        ),
        pytest.param(lambda: BASE, lambda: build(with_cancel_op=False), False, False, id="operation-removed"),
        pytest.param(
            lambda: BASE,
            lambda: build(ack_payload={**ACK, "required": ["ok"]}),
            True,
            False,
            id="reply-narrowed: the app sends the reply",
        ),
    ],
)
def test_rollout_order(
    old: Callable[[], Api], new: Callable[[], Api], app_first: bool, peers_first: bool
) -> None:
    changes = diff_apis(old(), new())
    assert changes
    assert app_first_safe(changes) is app_first
    assert peers_first_safe(changes) is peers_first


def test_http_changes_say_who_reads() -> None:
    new = http_api(
        (
            get_order(parameters=(*get_order().parameters, QUERY_REQ), responses=get_order().responses[:1]),
            create_order(),
        ),
        (HOOK,),
    )
    affects = {c.kind: c.affects for c in diff_apis(HTTP_BASE, new)}
    assert affects == {
        "parameter-added": "clients request: the app reads",
        "response-removed": "app responds: its clients read",
    }
