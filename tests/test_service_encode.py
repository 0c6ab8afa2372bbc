"""The producers' guarantee: a payload that breaks the schema never leaves the process.

A generated service (NATS; ``runtime.encode`` is the same code on every transport) is
generated once; a script run in it (its own interpreter, FastStream's in-memory
broker) checks every way a model instance can break the schema after or without
validation - ``model_construct``, attribute assignment, a nested list changed in place,
values of the wrong JSON type that lax validation would coerce - and that none of it
reaches the broker, and that what a valid payload sends is exactly the bytes that were
validated (one serialisation, no re-encoding by FastStream).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from project_support import generate_service, run_python

pytest.importorskip("faststream")


SPEC = {
    "asyncapi": "3.0.0",
    "info": {"title": "Orders", "version": "1.0.0"},
    "servers": {"dev": {"host": "localhost", "protocol": "nats"}},
    "channels": {
        "orders": {
            "address": "shop.orders",
            "messages": {"orderChanged": {"$ref": "#/components/messages/orderChanged"}},
        }
    },
    "operations": {
        "sendOrderChanged": {"action": "send", "channel": {"$ref": "#/channels/orders"}},
    },
    "components": {
        "messages": {
            "orderChanged": {
                "contentType": "application/vnd.orders+json",  # sent as the NATS content-type header
                "headers": {
                    "type": "object",
                    "required": ["traceId"],
                    "properties": {"traceId": {"type": "string", "minLength": 1}},
                },
                "payload": {"$ref": "#/components/schemas/OrderChanged"},
            }
        },
        "schemas": {
            "OrderChanged": {
                "type": "object",
                "required": ["id", "status", "changedAt", "lines"],
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "status": {"type": "string", "enum": ["new", "paid", "closed"]},
                    "changedAt": {"type": "string", "format": "date-time"},
                    "amount": {"type": "number", "minimum": 0},
                    "paid": {"type": "boolean"},
                    "count": {"type": "integer"},
                    "lines": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["sku", "qty"],
                            "properties": {
                                "sku": {"type": "string"},
                                "qty": {"type": "integer", "minimum": 1},
                            },
                        },
                    },
                },
            }
        },
    },
}

GUARD = textwrap.dedent(
    """
    import asyncio, datetime, importlib, json, sys
    from faststream.nats import NatsMessage, TestNatsBroker

    pkg = sys.argv[1]
    models = importlib.import_module(pkg + ".models")
    runtime = importlib.import_module(pkg + ".runtime")
    producers = importlib.import_module(pkg + ".producers")
    broker = importlib.import_module(pkg + ".broker").broker
    Order, Line, Headers = models.OrderChanged, models.Line, models.OrderChangedHeaders
    VALID = {
        "id": "6f1c2a52-8f0e-4b8e-9d3a-0c2b9f1e7a11",
        "status": "paid",
        "changedAt": "2026-11-29T10:00:00Z",
        "amount": 12.5,
        "lines": [{"sku": "A-1", "qty": 2}, {"sku": "B-2", "qty": 1}],
    }
    TRACE = Headers(traceId="t-1")

    def changed(change):
        order = Order.model_validate(VALID)
        change(order)
        return order

    BROKEN = {
        "model_construct without a required field": lambda: Order.model_construct(status="new"),
        "nested list: an item changed in place": lambda: changed(lambda o: setattr(o.lines[0], "qty", 0)),
        "nested list: an invalid item appended": lambda: changed(
            lambda o: o.lines.append(Line.model_construct(sku="x", qty=0))
        ),
        "nested list: an item without a required field": lambda: changed(
            lambda o: o.lines.append(Line.model_construct(qty=1))
        ),
        "nested list: a dict of the wrong types appended": lambda: changed(
            lambda o: o.lines.append({"sku": 5, "qty": "1"})
        ),
        "nested list: replaced by a string": lambda: changed(lambda o: setattr(o, "lines", "A-1")),
        "a string in a number": lambda: changed(lambda o: setattr(o, "amount", "1.5")),
        "below the minimum": lambda: changed(lambda o: setattr(o, "amount", -1)),
        "an integer in a boolean": lambda: changed(lambda o: setattr(o, "paid", 1)),
        "a string in an integer": lambda: changed(lambda o: setattr(o, "count", "3")),
        "a fraction in an integer": lambda: changed(lambda o: setattr(o, "count", 1.5)),
        "a date in a date-time": lambda: changed(lambda o: setattr(o, "changed_at", datetime.date(2026, 1, 1))),
        "a date-only string in a date-time": lambda: changed(lambda o: setattr(o, "changed_at", "2026-01-01")),
        "a naive date-time": lambda: changed(
            lambda o: setattr(o, "changed_at", datetime.datetime(2026, 1, 1, 10, 0))
        ),
        "not a uuid": lambda: changed(lambda o: setattr(o, "id", "order-1")),
        "not in the enum": lambda: changed(lambda o: setattr(o, "status", "lost")),
        "an object JSON cannot hold": lambda: changed(lambda o: setattr(o, "count", object())),
    }

    async def main():
        got = []

        @broker.subscriber("shop.orders")
        async def spy(message: NatsMessage) -> None:
            got.append(message.body)
            assert message.headers.get("content-type") == "application/vnd.orders+json", message.headers

        async with TestNatsBroker(broker, connect_only=False):
            for name, make in BROKEN.items():
                try:
                    runtime.encode_any(make())
                except ValueError:
                    pass
                else:
                    raise AssertionError(f"encode_any let this through: {name}")
                try:
                    await producers.publish_send_order_changed(make(), headers=TRACE)
                except ValueError:
                    pass
                else:
                    raise AssertionError(f"the producer sent this: {name}")
            assert got == [], got
            try:
                await producers.publish_send_order_changed(Order.model_validate(VALID))
            except ValueError:
                pass
            else:
                raise AssertionError("sent without the required header traceId")
            try:
                await producers.publish_send_order_changed(
                    Order.model_validate(VALID), headers=Headers.model_construct(trace_id="")
                )
            except ValueError:
                pass
            else:
                raise AssertionError("sent with an empty traceId (minLength 1)")
            assert got == [], got

            valid = Order.model_validate(VALID)
            expected = runtime.encode_any(valid)
            assert json.loads(expected) == VALID, expected
            await producers.publish_send_order_changed(valid, headers=TRACE)
            assert got == [expected], (got, expected)  # the validated bytes, not re-encoded

            # built without validation from JSON-shaped values: what is sent is valid, so it goes
            loose = Order.model_construct(
                id=VALID["id"], status="new", changed_at=VALID["changedAt"], lines=[{"sku": "C-3", "qty": 3}]
            )
            await producers.publish_send_order_changed(loose, headers=TRACE)
            assert len(got) == 2 and Order.model_validate_json(got[1]).lines[0].qty == 3, got

    asyncio.run(main())
    import uuid
    ids = {runtime.new_id() for _ in range(1000)}  # the producers' correlation ids
    assert len(ids) == 1000 and all(
        str(uuid.UUID(i)) == i and uuid.UUID(i).version == 4 and uuid.UUID(i).variant == uuid.RFC_4122 for i in ids
    ), sorted(ids)[:3]
    print("ok", len(BROKEN))
    """
)


def test_a_payload_that_breaks_the_schema_never_leaves(tmp_path: Path) -> None:
    out = tmp_path / "svc"
    package = generate_service(SPEC, "orders.yaml", out)
    proc = run_python(out, "-W", "error", "-c", GUARD, package, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip().startswith("ok "), proc.stdout + proc.stderr
