"""End to end: the ERP evented API on a real Kafka broker, API and relay as separate processes.

``asyncgen generate specs/erp-events.asyncapi.yaml specs/erp-api.openapi.yaml``; then
``python -m erp_events api`` and ``python -m erp_events relay`` run as two processes sharing
one SQLite store; three loopback receivers (plain ``http.server`` threads) are registered
through the API with different event types; events are published with aiokafka (the
broker's own client, not the generated producers). Every receiver must get every event
of its types exactly once after de-duplication by ``webhook-id``, none of other types, each
signature valid per the independent ``standardwebhooks`` package.

Faults proven: a receiver that is down (connection refused) for a while gets everything
once it is back; the relay killed with SIGKILL mid-stream and restarted loses nothing; the
store file passes ``PRAGMA integrity_check`` after the crash; records the broker delivers
again (the relay restarted with committed offsets from before them) reach each receiver
once, caught by the store's de-duplication (``DEDUP_WINDOW``); SIGTERM ends both processes
with exit code 0.

Scale-out: two relay processes in one consumer group sharing one PostgreSQL store (and an
API process on it) deliver 1,000 events to a receiver, each exactly once after de-duplication;
the same 1,000 records delivered again by the broker to both relays add no POST.

Needs Kafka on 127.0.0.1:9092 (`bash .ci/brokers.sh start kafka`) and, for the PostgreSQL test,
PostgreSQL (`bash .ci/brokers.sh start postgres`; port BROKER_PG_PORT, default 55432).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from it_harness import BROKERS, POSTGRES, ROOT, free_port, skip_or_fail

pytestmark = pytest.mark.integration

EVENTS = ROOT / "specs" / "erp-events.asyncapi.yaml"
API = ROOT / "specs" / "erp-api.openapi.yaml"
KEY = "e2e-key-" + uuid.uuid4().hex
PREFIX = "ERP_EVENTS_"
TOPICS = {
    "CustomerChanged": "erp.customer.changed",
    "OrderCreated": "erp.order.created",
    "InvoiceIssued": "erp.invoice.issued",
}
#: every topic the relay consumes (OrderStatusChanged: no receiver subscribes to it)
RELAYED = (*TOPICS.values(), "erp.order.status-changed")


def _opened(event: threading.Event) -> threading.Event:
    event.set()
    return event


@dataclass
class Receiver:
    """A loopback webhook receiver that can go down (port closed) and come back on the same port."""

    name: str
    delay: float = 0.0  # seconds each answer takes (after the request is recorded)
    gate: threading.Event = field(default_factory=lambda: _opened(threading.Event()))  # answers wait for it
    port: int = field(default_factory=free_port)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{self.name}"

    def start(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with owner.lock:
                    owner.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                owner.gate.wait(60)
                time.sleep(owner.delay)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def events(self, run: str) -> dict[str, set[str]]:
        """eventId -> the webhook-ids it arrived with (this run's events only)."""
        out: dict[str, set[str]] = {}
        with self.lock:
            items = list(self.received)
        for headers, body in items:
            data = json.loads(body)
            if isinstance(data, dict) and data.get("run") == run:
                out.setdefault(data["eventId"], set()).add(headers["webhook-id"])
        return out


@dataclass
class Proc:
    part: str
    out: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    label: str = ""

    @property
    def log_path(self) -> Path:
        return self.out / f"{self.label or self.part}.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self, timeout: float = 60.0) -> Proc:
        offset = len(self.log())
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "erp_events", self.part],
                cwd=self.out,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "ready" in self.log()[offset:]:
                return self
            if self.proc.poll() is not None:
                pytest.fail(f"{self.part} exited {self.proc.returncode} before ready:\n{self.log()[-3000:]}")
            time.sleep(0.05)
        pytest.fail(f"{self.part}: no ready line in {timeout}s:\n{self.log()[-3000:]}")

    def terminate(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


@dataclass
class Stack:
    out: Path
    api: Proc
    relay: Proc
    receivers: dict[str, Receiver]
    secrets: dict[str, str]
    types: dict[str, list[str]]
    api_url: str
    store: Path | None  # the SQLite file (None: a PostgreSQL store)


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout}s: {what}")


async def _publish(events: list[tuple[str, dict[str, Any]]]) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=BROKERS["kafka"].url, acks="all")
    await producer.start()
    try:
        for event_type, payload in events:
            await producer.send_and_wait(
                TOPICS[event_type],
                json.dumps(payload).encode(),
                key=payload["eventId"].encode(),
                headers=[("eventType", event_type.encode()), ("content-type", b"application/json")],
            )
    finally:
        await producer.stop()


async def _skip_history(group: str) -> None:
    """Commit ``group``'s offsets at the end of every relayed topic.

    The broker is shared and keeps every earlier run's events; a fresh group with
    ``auto_offset_reset="earliest"`` would first re-deliver all of them (at the broker's
    commit-per-message pace), and the tests would time out on history, not on the relay.
    """
    await _group_offsets(group, to_end=True)


def skip_history(env: dict[str, str]) -> None:
    """Start the relay group of ``env`` at the end of its topics.

    A new group otherwise reads from the earliest offset: every event earlier runs left on a
    long-running broker (thousands on a developer's machine) would be delivered again first.
    """
    asyncio.run(_skip_history(env[PREFIX + "RELAY_GROUP"]))


def publish(run: str, counts: dict[str, int]) -> dict[str, str]:
    """Publish ``counts[type]`` events of each type; eventId -> type."""
    events = []
    for event_type, n in counts.items():
        for i in range(n):
            events.append((event_type, {"eventId": f"{run}-{event_type}-{i}", "run": run, "n": i}))
    asyncio.run(_publish(events))
    return {p["eventId"]: t for t, p in events}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated ERP project (once for the module)."""
    BROKERS["kafka"].require()
    pytest.importorskip("aiokafka")
    pytest.importorskip("standardwebhooks")
    out = tmp_path_factory.mktemp("relay-e2e") / "erp"
    proc = subprocess.run(
        [sys.executable, "-m", "asyncgen", "generate", str(EVENTS), str(API), "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"generate failed:\n{proc.stderr[-3000:]}")
    return out


def service_env(out: Path, store_url: str, port: int) -> dict[str, str]:
    """The environment of the API and relay processes (fast retries for the tests)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(PREFIX)}
    env.update(
        {
            "PYTHONPATH": str(out),
            "PYTHONUNBUFFERED": "1",
            PREFIX + "BROKER_URL": BROKERS["kafka"].url,
            PREFIX + "API_KEY": KEY,
            PREFIX + "STORE_URL": store_url,
            PREFIX + "HTTP_PORT": str(port),
            PREFIX + "CALLBACK_ALLOW_CIDRS": "127.0.0.0/8",
            PREFIX + "ALLOW_HTTP_CALLBACKS": "true",
            PREFIX + "RELAY_GROUP": "erp-relay-e2e-" + uuid.uuid4().hex[:8],
            # retries for ~2 minutes: a receiver kept down until an event count is reached never
            # runs out of attempts, however slowly a loaded machine gets there
            PREFIX + "RETRY_SCHEDULE": ",".join(["0.5", "1", "1", "1"] + ["2"] * 60),
            PREFIX + "RETRY_JITTER": "0.1",
            PREFIX + "POLL_INTERVAL": "0.2",
            PREFIX + "LEASE": "15",  # at least DELIVERY_TIMEOUT + 10
            PREFIX + "DELIVERY_TIMEOUT": "5",  # the slow receiver answers after 3 s
        }
    )
    return env


@pytest.fixture(scope="module")
def stack(project: Path) -> Iterator[Stack]:
    kafka = BROKERS["kafka"]
    out = project
    store = out / "store.db"
    port = free_port()
    env = service_env(out, f"sqlite:///{store}", port)
    if not kafka.reachable():
        skip_or_fail("kafka went away")
    skip_history(env)
    api = Proc("api", out, env).start()
    receivers = {name: Receiver(name) for name in ("crm", "shop", "audit")}
    for r in receivers.values():
        r.start()
    types = {
        "crm": ["CustomerChanged", "OrderCreated"],
        "shop": ["OrderCreated"],
        "audit": ["CustomerChanged", "OrderCreated", "InvoiceIssued"],
    }
    api_url = f"http://127.0.0.1:{port}"
    secrets = {}
    with httpx.Client(base_url=api_url, headers={"X-API-Key": KEY}) as client:
        for name, r in receivers.items():
            created = client.post("/subscriptions", json={"callbackUrl": r.url, "eventTypes": types[name]})
            assert created.status_code == 201, created.text
            secrets[name] = created.json()["secret"]
    relay = Proc("relay", out, env).start()
    yield Stack(out, api, relay, receivers, secrets, types, api_url, store)
    codes = {}
    try:
        for p in (relay, api):
            if p.proc is not None and p.proc.poll() is None:
                codes[p.part] = p.terminate()
    finally:
        relay.kill()
        api.kill()
        for r in receivers.values():
            r.stop()
    assert all(code == 0 for code in codes.values()), (codes, relay.log()[-2000:], api.log()[-2000:])


def pending(api_url: str) -> int:
    """Deliveries the store holds (the API's ``deliveries_pending`` gauge)."""
    gauge = PREFIX.lower() + "webhook_deliveries_pending "
    text = httpx.get(api_url + "/metrics").text
    return int(next(line for line in text.splitlines() if line.startswith(gauge)).split()[-1])


def publish_to_a_backlog(
    receivers: list[Receiver], api_url: str, run: str, counts: dict[str, int], deliveries: int
) -> dict[str, str]:
    """Publish while the receivers hold their answers back; answer once the store holds all ``deliveries``.

    Two relays in one consumer group share the work through the store, but an event's first
    claim goes to the relay that consumed it (it claims as soon as it has recorded the event);
    the other relay only gets work its polls find unclaimed, which with a fast receiver is luck
    (measured: 7 to 40 of 1,000) and can be none. Held answers keep the consuming relay's
    ``MAX_CONCURRENCY`` slots busy, so the other relay's polls find the rest (it holds its own
    slots' worth too), and when the answers come, both claim from the backlog alike: both take
    part by construction, not by timing. (A held request may time out and be sent again: the same
    ``webhook-id``, which ``check_delivered`` de-duplicates.)
    """
    for r in receivers:
        r.gate.clear()
    try:
        sent = publish(run, counts)
        wait_for(lambda: pending(api_url) >= deliveries, 120, f"the store holds the run's {deliveries}")
    finally:
        for r in receivers:
            r.gate.set()
    return sent


def expected_for(stack: Stack, name: str, sent: dict[str, str]) -> set[str]:
    return {event for event, t in sent.items() if t in stack.types[name]}


def check_delivered(stack: Stack, run: str, sent: dict[str, str], timeout: float = 90.0) -> None:
    """Every receiver has exactly its events (one webhook-id each), with valid signatures."""
    from standardwebhooks import Webhook

    def complete() -> bool:
        return all(
            set(r.events(run)) >= expected_for(stack, name, sent) for name, r in stack.receivers.items()
        )

    wait_for(complete, timeout, "every matching receiver got every event")
    for name, r in stack.receivers.items():
        got = r.events(run)
        assert set(got) == expected_for(stack, name, sent), f"{name} got events of other types"
        assert all(len(ids) == 1 for ids in got.values()), f"{name}: one webhook-id per event"
        hook = Webhook(stack.secrets[name])
        with r.lock:
            items = list(r.received)
        for headers, body in items:
            if json.loads(body).get("run") == run:
                hook.verify(body, headers)  # raises on a bad signature


def test_events_reach_every_matching_receiver_exactly_once(stack: Stack) -> None:
    run = uuid.uuid4().hex[:8]
    sent = publish(run, {"CustomerChanged": 10, "OrderCreated": 10, "InvoiceIssued": 10})
    check_delivered(stack, run, sent)
    shop = stack.receivers["shop"].events(run)
    assert not any(e.startswith(f"{run}-CustomerChanged") for e in shop)


def test_a_receiver_down_for_a_while_gets_everything(stack: Stack) -> None:
    shop = stack.receivers["shop"]
    shop.stop()
    run = uuid.uuid4().hex[:8]
    sent = publish(run, {"OrderCreated": 15, "CustomerChanged": 5})
    wait_for(
        lambda: set(stack.receivers["crm"].events(run)) >= expected_for(stack, "crm", sent),
        60,
        "the receivers that are up got their events",
    )
    time.sleep(2)  # a few failed attempts on the receiver that is down
    assert shop.events(run) == {}
    shop.start()
    check_delivered(stack, run, sent)


def test_relay_killed_mid_stream_loses_nothing(stack: Stack) -> None:
    run = uuid.uuid4().hex[:8]
    counts = {"CustomerChanged": 60, "OrderCreated": 60, "InvoiceIssued": 30}
    done = threading.Event()
    sent: dict[str, str] = {}

    def publisher() -> None:
        sent.update(publish(run, counts))
        done.set()

    thread = threading.Thread(target=publisher)
    thread.start()
    wait_for(lambda: len(stack.receivers["audit"].events(run)) >= 5, 60, "deliveries started")
    stack.relay.kill()  # SIGKILL: no draining, no commit of what is in flight
    thread.join(60)
    assert done.is_set()
    before = {name: len(r.events(run)) for name, r in stack.receivers.items()}
    assert before["audit"] < len(sent), "the kill came too late to prove anything"
    assert stack.store is not None
    with sqlite3.connect(stack.store) as db:  # the store survived the crash
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    stack.relay.start()
    check_delivered(stack, run, sent, timeout=120)


async def _group_offsets(
    group: str,
    rewind: dict[Any, int] | None = None,
    *,
    committed: bool = False,
    to_end: bool = False,
) -> dict[Any, int]:
    """The relayed topics' partitions -> their end offsets (``committed``: ``group``'s committed offsets);
    ``rewind``: commit those offsets for ``group`` first, ``to_end``: commit the end offsets (a group
    that never had members: Tansu refuses commits from outside a group that had some)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        bootstrap_servers=BROKERS["kafka"].url, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        await consumer.topics()  # metadata
        parts = [
            TopicPartition(topic, p)
            for topic in RELAYED
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not parts:
            return {}
        consumer.assign(parts)
        if to_end:
            rewind = dict(await consumer.end_offsets(parts))
        if rewind is not None:
            await consumer.commit(rewind)
        if committed:
            return {tp: (await consumer.committed(tp)) or 0 for tp in parts}
        return dict(await consumer.end_offsets(parts))
    finally:
        await consumer.stop()


def consumed_up_to(group: str, ends: dict[Any, int]) -> bool:
    """Whether ``group`` has committed at least ``ends`` on every partition."""
    committed = asyncio.run(_group_offsets(group, committed=True))
    return all(committed.get(tp, 0) >= end for tp, end in ends.items())


def deduplicated(api_url: str) -> float:
    """Broker messages the relay caught as redeliveries (the ``events_deduplicated_total`` counter)."""
    counter = PREFIX.lower() + "webhook_events_deduplicated_total "
    text = httpx.get(api_url + "/metrics").text
    return float(next(line for line in text.splitlines() if line.startswith(counter)).split()[-1])


def posts(receiver: Receiver, run: str) -> dict[str, int]:
    """eventId -> how many POSTs of it arrived (every attempt, not de-duplicated)."""
    with receiver.lock:
        bodies = [json.loads(body) for _, body in receiver.received]
    out: dict[str, int] = {}
    for data in bodies:
        if isinstance(data, dict) and data.get("run") == run:
            out[data["eventId"]] = out.get(data["eventId"], 0) + 1
    return out


def assert_same_posts(got: dict[str, int], expected: dict[str, int], who: str) -> None:
    """``got == expected``, told in a few lines (pytest's diff of two 1,000-entry dicts takes minutes)."""
    wrong = {
        e: (got.get(e, 0), expected.get(e, 0))
        for e in got.keys() | expected.keys()
        if got.get(e, 0) != expected.get(e, 0)
    }
    assert not wrong, (
        f"{who}: {len(wrong)} events got another number of POSTs (got, expected): {sorted(wrong.items())[:5]}"
    )


def test_events_the_broker_redelivers_reach_each_callback_once(stack: Stack) -> None:
    """Kafka redelivers what a group consumed but did not commit (a relay that dies or is rebalanced
    away between its store commit and its offset commits). Here the relay is stopped after the run's
    events were delivered and restarts in a group whose committed offsets are those from before the
    run (a fresh group: Tansu refuses offset commits from outside a group that had members), so it
    consumes the very same records (partition, offset, timestamp) again. The store de-duplicates them
    (DEDUP_WINDOW): each receiver still has exactly one POST per event, and the counter of caught
    redeliveries grew by at least the run's events."""
    before = asyncio.run(_group_offsets(stack.relay.env[PREFIX + "RELAY_GROUP"]))
    run = uuid.uuid4().hex[:8]
    sent = publish(run, {"CustomerChanged": 8, "OrderCreated": 8, "InvoiceIssued": 4})
    check_delivered(stack, run, sent)
    counted = deduplicated(stack.api_url)
    assert stack.relay.terminate() == 0
    group = "erp-relay-e2e-" + uuid.uuid4().hex[:8]
    ends = asyncio.run(_group_offsets(group, before))  # its offsets: before the run
    # (the broker is shared: another session's records in these topics may be in the range too)
    assert sum(ends.values()) - sum(before.values()) >= len(sent)
    stack.relay.env = {**stack.relay.env, PREFIX + "RELAY_GROUP": group}  # the later tests' relays too
    stack.relay.start()
    wait_for(lambda: consumed_up_to(group, ends), 90, "the restarted relay consumed the run's records again")
    assert deduplicated(stack.api_url) >= counted + len(sent), "the run's records were not redelivered"
    # a delivery the redelivery created would be in the store by its offset commit: wait until all are sent
    wait_for(lambda: pending(stack.api_url) == 0, 60, "the store holds no delivery")
    for name, receiver in stack.receivers.items():
        assert_same_posts(posts(receiver, run), dict.fromkeys(expected_for(stack, name, sent), 1), name)
    check_delivered(stack, run, sent)


def test_two_relays_in_one_group_share_1000_events(stack: Stack) -> None:
    second = Proc("relay", stack.out, stack.relay.env, label="relay-2").start()
    try:
        first_log, second_log = len(stack.relay.log()), len(second.log())
        run = uuid.uuid4().hex[:8]
        counts = {"OrderCreated": 500, "CustomerChanged": 500}
        deliveries = sum(  # each event once per receiver subscribed to its type
            n for t, n in counts.items() for types in stack.types.values() if t in types
        )
        sent = publish_to_a_backlog(list(stack.receivers.values()), stack.api_url, run, counts, deliveries)
        check_delivered(stack, run, sent, timeout=180)
        assert "delivered" in stack.relay.log()[first_log:], "the first relay delivered some"
        assert "delivered" in second.log()[second_log:], "the second relay delivered some"
    finally:
        assert second.terminate() == 0


def test_sigterm_during_a_slow_delivery_lets_it_finish(stack: Stack) -> None:
    slow = Receiver("slow", delay=3.0)
    slow.start()
    with httpx.Client(base_url=stack.api_url, headers={"X-API-Key": KEY}) as client:
        created = client.post(
            "/subscriptions", json={"callbackUrl": slow.url, "eventTypes": ["InvoiceIssued"]}
        )
        assert created.status_code == 201, created.text
        sub_id = created.json()["id"]
        try:
            run = uuid.uuid4().hex[:8]
            publish(run, {"InvoiceIssued": 1})
            wait_for(lambda: len(slow.events(run)) == 1, 60, "the slow delivery started")
            started = time.monotonic()
            assert stack.relay.terminate() == 0
            assert time.monotonic() - started >= 1.0, "the relay waited for the delivery in flight"
            assert stack.store is not None
            with sqlite3.connect(stack.store) as db:
                (pending,) = db.execute(
                    "SELECT COUNT(*) FROM deliveries WHERE subscription_id = ?", (sub_id,)
                ).fetchone()
            assert pending == 0, "the delivery was recorded as done before the relay exited"
            stack.relay.start()
            time.sleep(2)
            assert sum(1 for _, body in slow.received if json.loads(body).get("run") == run) == 1
        finally:
            client.delete(f"/subscriptions/{sub_id}")
            slow.stop()


def test_metrics_show_deliveries(stack: Stack) -> None:
    text = httpx.get(stack.api_url + "/metrics").text
    ok = next(line for line in text.splitlines() if line.startswith("erp_events_webhook_deliveries_ok_total"))
    assert float(ok.split()[-1]) > 0


@pytest.fixture
def postgres_store() -> Iterator[str]:
    """A STORE_URL on a fresh schema of the test database (dropped afterwards)."""
    url = POSTGRES.url
    POSTGRES.require()
    asyncpg = pytest.importorskip("asyncpg")
    schema = "e2e_" + uuid.uuid4().hex[:12]

    async def run(statement: str) -> None:
        con = await asyncpg.connect(url)
        try:
            await con.execute(statement)
        finally:
            await con.close()

    asyncio.run(run(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{url}?search_path={schema}"
    finally:
        asyncio.run(run(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def test_two_relays_sharing_a_postgres_store_deliver_1000_events_once(
    project: Path, postgres_store: str
) -> None:
    port = free_port()
    env = service_env(project, postgres_store, port)
    skip_history(env)
    start = asyncio.run(_group_offsets(env[PREFIX + "RELAY_GROUP"]))
    api = Proc("api", project, env, label="pg-api").start()
    receiver = Receiver("pg")
    receiver.start()
    relays: list[Proc] = []
    try:
        types = {"pg": ["OrderCreated", "CustomerChanged"]}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"X-API-Key": KEY}) as client:
            body = {"callbackUrl": receiver.url, "eventTypes": types["pg"]}
            created = client.post("/subscriptions", json=body)
            assert created.status_code == 201, created.text
        # both relays start together: the store's schema already exists (the API made it) and
        # their first claims race on it
        relays = [Proc("relay", project, env, label=f"pg-relay-{n}") for n in (1, 2)]
        for relay in relays:
            relay.start()
        stack = Stack(
            project,
            api,
            relays[0],
            {"pg": receiver},
            {"pg": created.json()["secret"]},
            types,
            f"http://127.0.0.1:{port}",
            None,
        )
        run = uuid.uuid4().hex[:8]
        counts = {"OrderCreated": 500, "CustomerChanged": 500}
        sent = publish_to_a_backlog([receiver], stack.api_url, run, counts, 1000)
        check_delivered(stack, run, sent, timeout=180)  # all 1,000, one webhook-id each, signatures valid
        for relay in relays:
            assert "delivered" in relay.log(), f"{relay.label} delivered none: the work was not shared"
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200

        # the broker delivers the same 1,000 records again, to both relays (a fresh group with the offsets
        # from before the run; they rebalance as they join): the shared store catches every redelivery,
        # whichever relay consumes it, and the receiver gets no POST more
        wait_for(lambda: pending(stack.api_url) == 0, 60, "every retry of a held answer was sent")
        arrived, counted = posts(receiver, run), deduplicated(stack.api_url)
        for relay in relays:
            assert relay.terminate() == 0
        group = "erp-relay-e2e-" + uuid.uuid4().hex[:8]
        ends = asyncio.run(_group_offsets(group, start))
        for relay in relays:
            relay.env = {**env, PREFIX + "RELAY_GROUP": group}
            relay.start()
        wait_for(lambda: consumed_up_to(group, ends), 120, "both relays consumed the run's records again")
        assert deduplicated(stack.api_url) >= counted + len(sent), "the run's records were not redelivered"
        wait_for(lambda: pending(stack.api_url) == 0, 60, "the store holds no delivery")
        assert_same_posts(posts(receiver, run), arrived, "pg")
    finally:
        codes = {}
        for proc in (*relays, api):
            if proc.proc is not None and proc.proc.poll() is None:
                codes[proc.label] = proc.terminate()
            proc.kill()
        receiver.stop()
    assert all(code == 0 for code in codes.values()), codes
