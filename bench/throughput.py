"""Messages/s of a generated producer+consumer pair vs a hand-written FastStream app.

    python bench/throughput.py [--broker kafka|mqtt|redis|nats] [--messages 5000] [--rounds 3]

Start the broker first (``bash .ci/brokers.sh start kafka``; Kafka is Tansu on
127.0.0.1:9092, MQTT mosquitto 1883, Redis 6379, NATS 4222).

The spec: one channel with a ``send`` and a ``receive`` operation on it (a unique
address per run, so nothing left over from an earlier run is counted). asyncgen
generates the service into a temp dir; this process imports its ``producers`` and
``consumers`` (PYTHONPATH), replaces the user-owned ``handlers.py`` with one that only
counts, and starts the generated broker. Beside it, a hand-written FastStream app on
the same broker: ``broker.subscriber(address)`` with the same pydantic model as the
handler's annotation (FastStream decodes and validates it), and
``broker.publish(model, address)``. Both use the same messages (pre-built model
instances), the same count, a silent logger, one event loop; the rounds alternate
generated / hand-written after a warm-up (consumer group join for Kafka).

Measured per round: publish rate (sequential awaited publishes) and end-to-end rate
(first publish to last message handled). Printed: best and median msgs/s of both and
the generated code's overhead = hand rate / generated rate - 1 (goal <= 10%).
No assertions: a shared, noisy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, load_note, setup_path

setup_path()

BROKERS: dict[str, dict[str, Any]] = {
    "kafka": {"port": 9092, "module": "faststream.kafka", "cls": "KafkaBroker"},
    "mqtt": {"port": 1883, "module": "faststream.mqtt", "cls": "MQTTBroker"},
    "redis": {
        "port": 6379,
        "module": "faststream.redis",
        "cls": "RedisBroker",
        "url": "redis://127.0.0.1:6379",
    },
    "nats": {"port": 4222, "module": "faststream.nats", "cls": "NatsBroker", "url": "nats://127.0.0.1:4222"},
}
PACKAGE = "bench_pair"

SPEC = """\
asyncapi: 3.0.0
info: {{title: Bench Pair, version: 1.0.0}}
servers:
  local: {{host: "127.0.0.1:{port}", protocol: {protocol}}}
channels:
  events:
    address: {address}
    messages:
      benchEvent: {{$ref: "#/components/messages/benchEvent"}}
operations:
  sendEvent:
    action: send
    channel: {{$ref: "#/channels/events"}}
    messages: [{{$ref: "#/channels/events/messages/benchEvent"}}]
  receiveEvent:
    action: receive
    channel: {{$ref: "#/channels/events"}}
    messages: [{{$ref: "#/channels/events/messages/benchEvent"}}]
components:
  messages:
    benchEvent:
      name: benchEvent
      contentType: application/json
      payload: {{$ref: "#/components/schemas/BenchEvent"}}
  schemas:
    BenchEvent:
      type: object
      required: [id, status, changedAt]
      properties:
        id: {{type: string, format: uuid}}
        status: {{type: string, enum: [new, active, closed]}}
        changedAt: {{type: string, format: date-time}}
        amount: {{type: number, minimum: 0}}
        lines:
          type: array
          items:
            type: object
            properties:
              sku: {{type: string}}
              qty: {{type: integer, minimum: 1}}
"""

#: replaces the generated user-owned handlers.py: count and nothing else
HANDLERS = """\
from __future__ import annotations

from collections.abc import Callable

from . import runtime
from .models import BenchEvent

hook: Callable[[], None] = lambda: None


async def on_receive_event(payload: BenchEvent, *, meta: runtime.Incoming) -> None:
    hook()
"""


class Counter:
    def __init__(self) -> None:
        self.seen = 0
        self.target = 0
        self.done = asyncio.Event()

    def reset(self, target: int) -> None:
        self.seen, self.target = 0, target
        self.done = asyncio.Event()

    def hit(self) -> None:
        self.seen += 1
        if self.seen >= self.target:
            self.done.set()


def generate_pair(tmp: Path, broker: str, address: str) -> Path:
    from asyncgen.generate import generate

    spec = tmp / "pair.yaml"
    spec.write_text(
        SPEC.format(port=BROKERS[broker]["port"], protocol=broker, address=address), encoding="utf-8"
    )
    out = tmp / "service"
    generate(spec, out, package=PACKAGE, formatter="ruff")
    (out / PACKAGE / "handlers.py").write_text(HANDLERS, encoding="utf-8")
    return out


def payloads(model: Any, count: int) -> list[Any]:
    now = datetime.now(UTC).isoformat()
    return [
        model.model_validate(
            {
                "id": str(uuid.UUID(int=i + 1)),
                "status": "active",
                "changedAt": now,
                "amount": 12.5 + i,
                "lines": [{"sku": f"SKU-{i}-{j}", "qty": j + 1} for j in range(3)],
            }
        )
        for i in range(count)
    ]


async def measure(
    publish: Callable[[Any], Awaitable[Any]], counter: Counter, messages: list[Any], timeout: float
) -> tuple[float, float, int, float]:
    """(publish msgs/s, end-to-end msgs/s, messages received, CPU us per message)."""
    counter.reset(len(messages))
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    for message in messages:
        await publish(message)
    published = time.perf_counter() - t0
    try:
        await asyncio.wait_for(counter.done.wait(), timeout)
    except TimeoutError:
        pass
    total = time.perf_counter() - t0
    cpu = (time.process_time() - cpu0) / max(counter.seen, 1) * 1e6
    return len(messages) / published, counter.seen / total, counter.seen, cpu


async def warm_up(
    publish: Callable[[Any], Awaitable[Any]], counter: Counter, message: Any, timeout: float
) -> bool:
    """Publish until the consumer receives (Kafka: the consumer group has joined)."""
    counter.reset(1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await publish(message)
        try:
            await asyncio.wait_for(counter.done.wait(), 1.0)
        except TimeoutError:
            continue
        await asyncio.sleep(1.0)  # let stragglers of the warm-up arrive before counting
        return True
    return False


async def bench(args: argparse.Namespace, out: Path, address: str) -> None:
    info = BROKERS[args.broker]
    sys.path.insert(0, str(out))
    producers = importlib.import_module(f"{PACKAGE}.producers")
    importlib.import_module(f"{PACKAGE}.consumers")  # registers the generated subscriber
    handlers = importlib.import_module(f"{PACKAGE}.handlers")
    generated_broker = importlib.import_module(f"{PACKAGE}.broker").broker
    model = importlib.import_module(f"{PACKAGE}.models").BenchEvent

    gen_counter, hand_counter = Counter(), Counter()
    handlers.hook = gen_counter.hit

    broker_cls = getattr(importlib.import_module(info["module"]), info["cls"])
    url = info.get("url", f"127.0.0.1:{info['port']}")
    hand_broker = broker_cls(url, logger=logging.getLogger("hand_written"))
    hand_address = f"{address}.hand"
    extra: dict[str, Any] = {}
    if args.broker == "kafka":
        extra = {"group_id": f"hand-{address}", "auto_offset_reset": "earliest"}
    if args.hand_ack_policy:
        from faststream import AckPolicy

        extra["ack_policy"] = AckPolicy[args.hand_ack_policy]

    @hand_broker.subscriber(hand_address, **extra)
    async def on_event(event: model) -> None:  # type: ignore[valid-type]
        hand_counter.hit()

    async def hand_publish(message: Any) -> None:
        await hand_broker.publish(message, hand_address)

    gen_publish = producers.publish_send_event
    messages = payloads(model, args.messages)
    await generated_broker.start()
    await hand_broker.start()
    try:
        for label, publish, counter in (
            ("generated", gen_publish, gen_counter),
            ("hand-written", hand_publish, hand_counter),
        ):
            if not await warm_up(publish, counter, messages[0], args.timeout):
                raise SystemExit(f"{label}: no message came back within {args.timeout} s (is the broker up?)")
        results: dict[str, list[tuple[float, float, int, float]]] = {"generated": [], "hand-written": []}
        for round_no in range(args.rounds):
            order = [("generated", gen_publish, gen_counter), ("hand-written", hand_publish, hand_counter)]
            if round_no % 2:
                order.reverse()
            for label, publish, counter in order:
                results[label].append(await measure(publish, counter, messages, args.timeout))
                await asyncio.sleep(0.5)
    finally:
        await generated_broker.stop()
        await hand_broker.stop()
    report(args, results)


def report(args: argparse.Namespace, results: dict[str, list[tuple[float, float, int, float]]]) -> None:
    print(
        f"{'side':<13} {'publish/s best':>14} {'median':>7} {'end-to-end/s best':>17} {'median':>7} "
        f"{'CPU us/msg best':>15} {'median':>7}  received"
    )
    summary: dict[str, tuple[float, ...]] = {}
    for label, runs in results.items():
        pub, e2e, cpu = [r[0] for r in runs], [r[1] for r in runs], [r[3] for r in runs]
        row = (
            max(pub),
            statistics.median(pub),
            max(e2e),
            statistics.median(e2e),
            min(cpu),
            statistics.median(cpu),
        )
        summary[label] = row
        received = ", ".join(str(r[2]) for r in runs)
        print(
            f"{label:<13} {row[0]:>14.0f} {row[1]:>7.0f} {row[2]:>17.0f} {row[3]:>7.0f} {row[4]:>15.0f} "
            f"{row[5]:>7.0f}  {received} of {args.messages} per round"
        )
    gen, hand = summary["generated"], summary["hand-written"]
    for name, index, higher_is_better in (
        ("publish rate", 0, True),
        ("end-to-end rate", 2, True),
        ("CPU", 4, False),
    ):
        if higher_is_better:
            best, median = hand[index] / gen[index] - 1, hand[index + 1] / gen[index + 1] - 1
        else:
            best, median = gen[index] / hand[index] - 1, gen[index + 1] / hand[index + 1] - 1
        verdict = "met" if median <= 0.10 else "NOT met"
        print(
            f"GOAL cost of the generated code, {name} ({args.broker}): "
            f"{best:+.1%} best, {median:+.1%} median (goal <= 10%: {verdict}, judged on the median)"
        )
    print(
        "(rates: cost = hand-written rate / generated rate - 1; CPU: this process's CPU time per message,"
        " producer and consumer together, generated / hand-written - 1. Broker latency dominates the"
        " rates on a loaded machine; CPU per message is the steadier figure.)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--broker", choices=sorted(BROKERS), default="kafka")
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the consumer")
    parser.add_argument(
        "--hand-ack-policy",
        default=None,
        help="AckPolicy of the hand-written subscriber, e.g. NACK_ON_ERROR (the generated consumers'); "
        "default: FastStream's default",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    address = f"bench.tp.{uuid.uuid4().hex[:12]}"
    print(
        f"throughput on {args.broker}: {args.messages} messages x {args.rounds} rounds, address {address}, "
        f"hand-written ack policy {args.hand_ack_policy or 'default'}; "
        f"{load_note()}"
    )
    tmp = Path(tempfile.mkdtemp(prefix="asyncgen-tp-"))
    try:
        out = generate_pair(tmp, args.broker, address)
        os.environ.setdefault(f"{PACKAGE.upper()}_CONSUMER_GROUP", f"gen-{address}")
        asyncio.run(bench(args, out, address))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("No assertions: a shared, noisy machine. Read ratios measured in the same run.")


if __name__ == "__main__":
    os.chdir(REPO)
    main()
