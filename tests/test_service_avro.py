"""Avro payloads in a generated service (specs/kafka-avro.asyncapi.yaml), on FastStream's TestKafkaBroker.

The service is generated once into a temporary folder and imported in-process. The schema
registry is a real HTTP server in a thread (the Confluent REST endpoints the codec uses), so
the generated httpx client is exercised over TCP. Every wire-format check decodes or encodes
with fastavro directly (hand-built datums, the schema text the registry stored), never with the
generated codec, so a codec that agrees with itself but not with Avro fails here.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import json
import logging
import re
import struct
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import fastavro
import pytest
from click.testing import CliRunner
from faststream.kafka import KafkaMessage, TestKafkaBroker

from asyncgen.cli import main

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "specs" / "kafka-avro.asyncapi.yaml"
PKG = "order_fulfilment"
ORDERS = "shop.orders.placed"
SHIPMENTS = "shop.shipments.requested"
ORDER_ID = "3f1c2b9e-8a52-4c1e-9d8e-2a6b1f0c7d11"
PLACED_AT_MS = 1772357400250  # 2026-03-01T09:30:00.250Z


class Service:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.avro_codec = importlib.import_module(f"{PKG}.avro_codec")
        self.models = importlib.import_module(f"{PKG}.models")
        self.producers = importlib.import_module(f"{PKG}.producers")
        self.consumers = importlib.import_module(f"{PKG}.consumers")
        self.handlers = importlib.import_module(f"{PKG}.handlers")
        self.broker = importlib.import_module(f"{PKG}.broker").broker
        self.settings = importlib.import_module(f"{PKG}.settings").get_settings()
        spec_schema = _spec_schemas()
        self.order_schema = spec_schema["OrderPlaced"]
        self.shipment_schema = spec_schema["ShipmentRequested"]


def _spec_schemas() -> dict[str, Any]:
    import yaml

    spec = yaml.safe_load(SPEC.read_text())
    return {name: m["payload"]["schema"] for name, m in spec["components"]["messages"].items()}


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    out = tmp_path_factory.mktemp("avro") / "svc"
    result = CliRunner().invoke(
        main, ["generate", str(SPEC), "-o", str(out), "--schema-registry-url", "http://registry.invalid:1"]
    )
    assert result.exit_code == 0, result.output
    sys.path.insert(0, str(out))
    try:
        yield Service(out)
    finally:
        sys.path.remove(str(out))
        for name in [n for n in sys.modules if n == PKG or n.startswith(PKG + ".")]:
            del sys.modules[name]


class Registry(ThreadingHTTPServer):
    """A fake Confluent schema registry: POST /subjects/{s}/versions, GET /schemas/ids/{id}."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RegistryHandler)
        self.schemas: list[str] = []
        self.subjects: dict[str, list[int]] = {}
        self.requests: list[tuple[str, str]] = []
        self.refuse: tuple[int, dict[str, Any]] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def register(self, subject: str, schema: str) -> int:
        if schema not in self.schemas:
            self.schemas.append(schema)
        schema_id = self.schemas.index(schema) + 1
        self.subjects.setdefault(subject, []).append(schema_id)
        return schema_id


class _RegistryHandler(BaseHTTPRequestHandler):
    server: Registry

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        self.server.requests.append(("POST", self.path))
        parts = self.path.strip("/").split("/")
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.server.refuse is not None:
            self._answer(*self.server.refuse)
        elif len(parts) == 3 and parts[0] == "subjects" and parts[2] == "versions":
            self._answer(200, {"id": self.server.register(parts[1], body["schema"])})
        else:
            self._answer(404, {"error_code": 404, "message": "HTTP 404 Not Found"})

    def do_GET(self) -> None:
        self.server.requests.append(("GET", self.path))
        parts = self.path.strip("/").split("/")
        known = self.server.schemas
        if len(parts) == 3 and parts[:2] == ["schemas", "ids"] and 0 < int(parts[2]) <= len(known):
            self._answer(200, {"schema": known[int(parts[2]) - 1]})
        else:
            self._answer(404, {"error_code": 40403, "message": "Schema not found"})


@pytest.fixture
def registry() -> Iterator[Registry]:
    server = Registry()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
async def confluent(svc: Service, registry: Registry, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The service configured for ``registry`` through its settings, as a user would."""
    monkeypatch.setattr(svc.settings, "schema_registry_url", registry.url)
    monkeypatch.setattr(svc.settings, "avro_framing", "auto")
    await svc.avro_codec.use_registry(None)
    yield registry
    await svc.avro_codec.use_registry(None)


@pytest.fixture
def raw(svc: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(svc.settings, "schema_registry_url", "")
    monkeypatch.setattr(svc.settings, "avro_framing", "auto")


def order_datum() -> dict[str, Any]:
    """An OrderPlaced record as fastavro takes it (built by hand, not by the codec)."""
    return {
        "orderId": ORDER_ID,
        "placedAt": PLACED_AT_MS,
        "status": "PAID",
        "customer": {"id": 1042, "email": "ada@example.com", "phone": None},
        "lines": [
            {"sku": "BOOK-1", "quantity": 2, "unitPrice": Decimal("12.50")},
            {"sku": "PEN-7", "quantity": 1, "unitPrice": Decimal("0.99")},
        ],
        "attributes": {"giftWrap": "yes"},
        "note": None,
    }


def shipment(svc: Service, **changes: Any) -> Any:
    data = {
        "orderId": ORDER_ID,
        "requestedAt": "2026-03-01T09:31:00Z",
        "priority": "EXPRESS",
        "parcels": [1200, 350],
        "address": {"street": "1 Main Street", "city": "Leeds", "postcode": None},
    } | changes
    return svc.models.ShipmentRequested.model_validate(data)


def schemaless(schema: Any, datum: Any) -> bytes:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(schema), datum)
    return buffer.getvalue()


def read_schemaless(writer: Any, body: bytes, reader: Any = None) -> Any:
    parsed = fastavro.parse_schema(writer)
    resolved = fastavro.parse_schema(reader) if reader else parsed
    return fastavro.schemaless_reader(io.BytesIO(body), parsed, resolved)


async def send_and_capture(svc: Service, payload: Any) -> list[KafkaMessage]:
    got: list[KafkaMessage] = []

    @svc.broker.subscriber(SHIPMENTS)
    async def capture(message: KafkaMessage) -> None:
        got.append(message)

    async with TestKafkaBroker(svc.broker):
        await svc.producers.publish_request_shipment(payload)
    return got


async def deliver(svc: Service, monkeypatch: pytest.MonkeyPatch, *bodies: bytes) -> list[Any]:
    received: list[Any] = []

    async def spy(payload: Any, **kwargs: Any) -> None:
        received.append(payload)

    monkeypatch.setattr(svc.handlers, "on_fulfil_order", spy, raising=False)
    async with TestKafkaBroker(svc.broker) as br:
        for body in bodies:
            await br.publish(body, topic=ORDERS)
    return received


def expected_order(svc: Service) -> Any:
    return svc.models.OrderPlaced.model_validate(
        {
            "orderId": ORDER_ID,
            "placedAt": "2026-03-01T09:30:00.250Z",
            "status": "PAID",
            "customer": {"id": 1042, "email": "ada@example.com"},
            "lines": [
                {"sku": "BOOK-1", "quantity": 2, "unitPrice": "12.50"},
                {"sku": "PEN-7", "quantity": 1, "unitPrice": "0.99"},
            ],
            "attributes": {"giftWrap": "yes"},
        }
    )


# ------------------------------------------------------------------ without a registry


async def test_raw_producer_writes_plain_avro_binary(svc: Service, raw: None) -> None:
    [message] = await send_and_capture(svc, shipment(svc))
    datum = {
        "orderId": ORDER_ID,
        "requestedAt": dt.datetime(2026, 3, 1, 9, 31, tzinfo=dt.UTC),
        "priority": "EXPRESS",
        "parcels": [1200, 350],
        "address": {"street": "1 Main Street", "city": "Leeds", "postcode": None},
    }
    assert message.body == schemaless(svc.shipment_schema, datum)  # byte for byte what fastavro writes
    assert message.headers["content-type"] == "application/vnd.apache.avro+binary"


async def test_raw_consumer_reads_fastavro_bytes(
    svc: Service, raw: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    received = await deliver(svc, monkeypatch, schemaless(svc.order_schema, order_datum()))
    assert received == [expected_order(svc)]
    assert received[0].lines[0].unit_price == Decimal("12.50")


async def test_producer_fills_defaults_and_refuses_what_avro_cannot_hold(svc: Service, raw: None) -> None:
    # a field the model leaves None whose Avro type is not nullable: the Avro default is written
    [message] = await send_and_capture(svc, shipment(svc, priority=None))
    assert read_schemaless(svc.shipment_schema, message.body)["priority"] == "STANDARD"
    # a price the model accepts (its Decimal has no scale: pydantic takes no pattern on it) but
    # Avro decimal(10, 2) cannot hold: refused before anything is sent
    order = expected_order(svc)
    order.lines[0].unit_price = Decimal("12.505")
    with pytest.raises(ValueError, match=r"lines\[0\]\.unitPrice: more than 2 decimal places"):
        await svc.avro_codec.encode(order, ORDERS)


async def test_consumer_refuses_bytes_that_are_not_the_record(
    svc: Service, raw: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=PKG)
    good = schemaless(svc.order_schema, order_datum())
    received = await deliver(svc, monkeypatch, b"\x02\xff\x00garbage", good + b"\x00", good)
    assert received == [expected_order(svc)]  # only the last one
    assert caplog.text.count("refused a message for fulfilOrder") == 2
    assert "left over after the record" in caplog.text


async def test_container_framing_round_trip(svc: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    """``container``: one record in an Avro object container file (what Tansu validates)."""
    monkeypatch.setattr(svc.settings, "avro_framing", "container")
    [message] = await send_and_capture(svc, shipment(svc))
    records = list(fastavro.reader(io.BytesIO(message.body)))
    assert [r["parcels"] for r in records] == [[1200, 350]]
    body = io.BytesIO()
    fastavro.writer(body, fastavro.parse_schema(svc.order_schema), [order_datum()])
    assert await deliver(svc, monkeypatch, body.getvalue()) == [expected_order(svc)]


# ------------------------------------------------------------------ Confluent wire format


async def test_registry_producer_frames_and_registers_once(svc: Service, confluent: Registry) -> None:
    first = await send_and_capture(svc, shipment(svc))
    second = await send_and_capture(svc, shipment(svc, priority="STANDARD"))
    assert confluent.subjects == {f"{SHIPMENTS}-value": [1]}  # cached after the first call
    assert confluent.requests == [("POST", f"/subjects/{SHIPMENTS}-value/versions")]
    for message in first + second:
        assert message.body[0] == 0
        assert struct.unpack(">I", message.body[1:5]) == (1,)
    registered = json.loads(confluent.schemas[0])
    assert registered == svc.shipment_schema  # the spec's schema, as written
    datum = read_schemaless(registered, second[0].body[5:])
    assert datum["priority"] == "STANDARD"
    assert datum["requestedAt"] == dt.datetime(2026, 3, 1, 9, 31, tzinfo=dt.UTC)
    assert datum["orderId"] == uuid.UUID(ORDER_ID)


@pytest.mark.parametrize(
    ("strategy", "subject"),
    [
        ("record", "com.example.warehouse.ShipmentRequested"),
        ("topic_record", f"{SHIPMENTS}-com.example.warehouse.ShipmentRequested"),
    ],
)
async def test_registry_subject_strategy_setting(
    svc: Service, confluent: Registry, monkeypatch: pytest.MonkeyPatch, strategy: str, subject: str
) -> None:
    monkeypatch.setattr(svc.settings, "schema_registry_subject_strategy", strategy)
    [message] = await send_and_capture(svc, shipment(svc))
    assert confluent.subjects == {subject: [1]}
    assert message.body[:5] == b"\x00\x00\x00\x00\x01"


async def test_registry_consumer_resolves_an_evolved_writer_schema(
    svc: Service, confluent: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writer v2 added a field the service does not know and dropped ``note`` (reader default)."""
    writer = json.loads(json.dumps(svc.order_schema))
    writer["fields"] = [f for f in writer["fields"] if f["name"] != "note"]
    writer["fields"].append({"name": "loyaltyTier", "type": "string", "default": "none"})
    datum = order_datum() | {"loyaltyTier": "gold"}
    del datum["note"]
    schema_id = confluent.register(f"{ORDERS}-value", json.dumps(writer))
    assert schema_id == 1
    body = b"\x00" + struct.pack(">I", schema_id) + schemaless(writer, datum)
    received = await deliver(svc, monkeypatch, body, body)
    assert received == [expected_order(svc)] * 2
    assert received[0].note is None
    assert confluent.requests == [("GET", "/schemas/ids/1")]  # fetched once, then cached


async def test_registry_consumer_refuses_unframed_and_unknown_ids(
    svc: Service, confluent: Registry, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=PKG)
    plain = schemaless(svc.order_schema, order_datum())
    received = await deliver(svc, monkeypatch, plain, b"\x00\x00\x00\x00\x07" + plain)
    assert received == []
    assert "not in the Confluent wire format" in caplog.text
    assert "schema id 7 is unknown to the schema registry" in caplog.text


async def test_registry_errors_name_url_subject_status_and_body(
    svc: Service, confluent: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    confluent.refuse = (409, {"error_code": 409, "message": "Schema being registered is incompatible"})
    with pytest.raises(svc.avro_codec.SchemaRegistryError) as caught:
        await send_and_capture(svc, shipment(svc))
    text = str(caught.value)
    for part in (confluent.url, f"{SHIPMENTS}-value", "409", "is incompatible"):
        assert part in text
    # unreachable: the URL generated in as the default (-schema-registry-url), nothing listens there
    monkeypatch.setattr(svc.settings, "schema_registry_url", "http://127.0.0.1:9/registry")
    await svc.avro_codec.use_registry(None)
    with pytest.raises(svc.avro_codec.SchemaRegistryError, match=r"http://127\.0\.0\.1:9/registry.*failed"):
        await send_and_capture(svc, shipment(svc))


def test_generate_option_sets_the_registry_default(svc: Service) -> None:
    settings = (svc.out / PKG / "settings.py").read_text()
    assert 'schema_registry_url: str = "http://registry.invalid:1"' in settings
    assert "ORDER_FULFILMENT_SCHEMA_REGISTRY_URL" in (svc.out / "README.md").read_text()


# ------------------------------------------------------------------ the JSON form <-> Avro mapping

KITCHEN_SINK: dict[str, Any] = {
    "type": "record",
    "name": "Sink",
    "namespace": "t.avro",
    "fields": [
        {"name": "flag", "type": "boolean"},
        {"name": "small", "type": "int"},
        {"name": "big", "type": "long"},
        {"name": "ratio", "type": "float"},
        {"name": "precise", "type": "double"},
        {"name": "text", "type": "string"},
        {"name": "blob", "type": "bytes"},
        {"name": "four", "type": {"type": "fixed", "name": "Four", "size": 4}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "clock", "type": {"type": "int", "logicalType": "time-millis"}},
        {"name": "clockMicros", "type": {"type": "long", "logicalType": "time-micros"}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "atMicros", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "localAt", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 8, "scale": 3}},
        {
            "name": "fixedPrice",
            "type": {
                "type": "fixed",
                "name": "Money",
                "size": 8,
                "logicalType": "decimal",
                "precision": 10,
                "scale": 2,
            },
        },
        {"name": "colour", "type": {"type": "enum", "name": "Colour", "symbols": ["RED", "GREEN"]}},
        {"name": "maybe", "type": ["null", "string"], "default": None},
        {
            "name": "point",
            "type": {"type": "record", "name": "Point", "fields": [{"name": "x", "type": "int"}]},
        },
        {"name": "choice", "type": ["null", "int", "string", "Point"]},
        {"name": "points", "type": {"type": "array", "items": "t.avro.Point"}},
        {"name": "counts", "type": {"type": "map", "values": ["null", "long"]}},
        {
            "name": "nested",
            "type": {
                "type": "record",
                "name": "Nested",
                "fields": [
                    {
                        "name": "palette",
                        "type": {"type": "array", "items": {"type": "map", "values": "Colour"}},
                    }
                ],
            },
        },
        {"name": "maybeColour", "type": ["null", "Colour"], "default": None},
    ],
}


def sink_datum(choice: Any) -> dict[str, Any]:
    """A record as fastavro takes it (Python values of the logical types)."""
    return {
        "flag": True,
        "small": -(2**31),
        "big": 2**63 - 1,
        "ratio": 0.5,
        "precise": 1e-300,
        "text": 'quote " backslash \\ ünïcode',
        "blob": b"\x00\xffbytes",
        "four": b"\x01\x02\x03\x04",
        "day": dt.date(2026, 2, 28),
        "clock": dt.time(23, 59, 59, 999000),
        "clockMicros": dt.time(0, 0, 0, 1),
        "at": dt.datetime(2026, 3, 1, 9, 30, 0, 250000, tzinfo=dt.UTC),
        "atMicros": dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
        "localAt": dt.datetime(2026, 3, 1, 9, 30, 0, 250000),
        "id": uuid.UUID(ORDER_ID),
        "price": Decimal("-12345.678"),
        "fixedPrice": Decimal("99999999.99"),
        "colour": "GREEN",
        "maybe": None,
        "point": {"x": 1},
        "choice": choice,
        "points": [{"x": 2}, {"x": -3}],
        "counts": {"a": 1, "b": None},
        "nested": {"palette": [{"sky": "RED"}, {}]},
        "maybeColour": "RED",
    }


@pytest.mark.parametrize("choice", [None, 7, "seven", {"x": 7}], ids=["null", "int", "string", "record"])
def test_json_form_matches_the_converted_schema_and_round_trips(svc: Service, choice: Any) -> None:
    """For every Avro type: fastavro's value -> the codec's JSON form, which must satisfy the JSON Schema
    asyncgen derives from the Avro schema (what the models are generated from); and the JSON form
    written back by the codec is byte for byte what fastavro writes from the original value."""
    import jsonschema

    from asyncgen.errors import Location
    from asyncgen.schemaformats import to_json_schema

    codec = svc.avro_codec
    schema = codec.AvroSchema.parse(json.dumps(KITCHEN_SINK))
    datum = sink_datum(choice)
    direct = schemaless(KITCHEN_SINK, datum)
    form = codec.read(schema, direct)
    converted = to_json_schema(KITCHEN_SINK, "application/vnd.apache.avro;version=1.9.0", Location("sink"))
    validator = jsonschema.Draft202012Validator(
        {**converted.root, "$defs": dict(converted.defs)},
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )
    assert [e.message for e in validator.iter_errors(form)] == []
    assert codec.write(schema, json.loads(json.dumps(form))) == direct
    assert form["price"] == "-12345.678"
    assert form["at"] == "2026-03-01T09:30:00.250000+00:00"
    assert form["blob"] == "AP9ieXRlcw=="
    assert form["clock"] == "23:59:59.999000Z"
    # a time of day with another offset is written as the same instant in UTC
    assert codec.to_avro(schema, form | {"clock": "01:00:00+02:00"})["clock"] == dt.time(23, 0)


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("colour", "BLUE", "'BLUE' is not a symbol of enum t.avro.Colour"),
        ("four", "AQID", "3 bytes, fixed t.avro.Four holds 4"),
        ("small", 2**31, "fits Avro int"),
        ("price", "123456.7", "more than 8 digits"),
        ("at", "2026-03-01T09:30:00", "needs a time zone offset"),
        ("choice", 1.5, "fits no branch of the union"),
        ("points", [{"x": "no"}], "points[0].x: expected an integer"),
        ("blob", "not base64!", "not valid base64"),
    ],
)
def test_values_avro_cannot_hold_are_named(svc: Service, field: str, value: Any, problem: str) -> None:
    codec = svc.avro_codec
    schema = codec.AvroSchema.parse(json.dumps(KITCHEN_SINK))
    form = codec.read(schema, schemaless(KITCHEN_SINK, sink_datum(None)))
    with pytest.raises(codec.AvroMismatch, match=re.escape(problem)):
        codec.to_avro(schema, form | {field: value})


# ------------------------------------------------------------------ request/reply with Avro both ways

QUOTES_SPEC = """\
asyncapi: 3.0.0
info: {title: Avro Quotes, version: 1.0.0}
servers:
  dev: {host: localhost, protocol: kafka}
channels:
  requests:
    address: quotes.requests
    messages:
      QuoteRequest: {$ref: '#/components/messages/QuoteRequest'}
  replies:
    address: quotes.replies
    messages:
      QuoteReply: {$ref: '#/components/messages/QuoteReply'}
operations:
  answerQuote:
    action: receive
    channel: {$ref: '#/channels/requests'}
    reply:
      channel: {$ref: '#/channels/replies'}
components:
  messages:
    QuoteRequest:
      payload:
        schemaFormat: application/vnd.apache.avro;version=1.9.0
        schema:
          type: record
          name: QuoteRequest
          fields:
            - {name: sku, type: string}
            - {name: quantity, type: int}
      examples:
        - payload: {sku: BOOK-1, quantity: 3}
    QuoteReply:
      payload:
        schemaFormat: application/vnd.apache.avro;version=1.9.0
        schema:
          type: record
          name: QuoteReply
          fields:
            - {name: sku, type: string}
            - {name: total, type: {type: bytes, logicalType: decimal, precision: 8, scale: 2}}
            - {name: quotedAt, type: {type: long, logicalType: timestamp-millis}}
      examples:
        - payload: {sku: BOOK-1, total: '37.50', quotedAt: '2026-03-01T09:30:00Z'}
"""


@pytest.mark.parametrize("role", ["app", "client"])
def test_avro_request_reply_projects_pass_their_own_tests(tmp_path: Path, role: str) -> None:
    """Replies are Avro too: the app's generated test requests with Avro and reads an Avro reply;
    the client's request_...() decodes an Avro reply (each project's own tests, in a subprocess)."""
    spec = tmp_path / "quotes.asyncapi.yaml"
    spec.write_text(QUOTES_SPEC, encoding="utf-8")
    out = tmp_path / role
    result = CliRunner().invoke(main, ["generate", str(spec), "-o", str(out), "--role", role])
    assert result.exit_code == 0, result.output
    generated = "\n".join(p.read_text() for p in (out / "avro_quotes").glob("*.py"))
    assert ("encoder=avro_codec.encode" in generated) == (role == "app")
    assert ("_ANSWER_QUOTE_REPLY, response.body, (avro_codec.QUOTE_REPLY_AVRO,)" in generated) == (
        role == "client"
    )
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=out,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs"],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "skipped" not in proc.stdout.splitlines()[-1], proc.stdout[-2000:]
