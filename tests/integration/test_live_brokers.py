"""Generated services against real brokers, driven by each broker's own client.

One class per broker (and bundled spec), all subclassing :class:`BrokerContract`
(FastStream's style: ``kind = "mqtt"``). For each, a project is generated from the spec
(``asyncgen generate``), run as ``python -m <package>`` in its own process, and proven with a
client that did not come from our templates:

* ``test_receive``: the broker's client publishes a message to a channel the service receives
  -> the service's handler gets it, payload and channel parameters intact;
* ``test_send``: the generated producer of a send operation publishes -> the broker's client
  receives exactly that payload on the spec's (parameterised) address;
* ``test_request_reply`` (specs with a reply): the broker's client sends a request the way a
  non-FastStream client would (the spec's correlation-id/reply-to headers or AMQP properties) ->
  the service's handler runs and its reply comes back with the same correlation id;
* ``test_invalid_message_is_refused``: a message breaking the schema never reaches the handler; the
  refusal is logged, and it lands in the dead-letter destination where the transport has one;
* bindings that matter: ``test_queue_group_shares_work`` (NATS queue group),
  ``test_consumer_group_from_binding`` (Kafka groupId), ``test_amqp_topology_from_binding``
  (exchange type/durability, queue); MQTT QoS and Kafka keys/headers are checked in ``test_send``;
* ``test_sigterm_exits_zero`` (last): SIGTERM -> exit code 0 within the timeout, no traceback logged.

A test whose case a class does not define is not collected for that class.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from it_harness import (
    BROKERS,
    HERE,
    HOST,
    SPECS,
    STOP_TIMEOUT,
    Broker,
    Project,
    Service,
    address_of,
    env_prefix_of,
    fill,
    generate,
    generator_available,
    install_probe,
    send_with_producer,
    skip_or_fail,
    unique_values,
)

pytestmark = pytest.mark.integration

# (No conftest.py here: tests/conftest.py is imported as `conftest` by other tests; a second one
# in this folder would shadow it.)

#: IT_FAKE_SERVICE=1 runs these tests against a hand-written FastStream app (fakeapp/fakesvc) with
#: the generated projects' layout instead of generated projects: it checks the harness itself.
FAKE = os.environ.get("IT_FAKE_SERVICE") == "1"


@pytest.fixture(scope="session")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Project]:
    """``projects(spec_file_name)``: the project generated from specs/<name>, once per session."""
    cache: dict[str, Project] = {}
    checked: list[str] = []

    def get(spec_name: str) -> Project:
        if spec_name in cache:
            return cache[spec_name]
        spec = SPECS / spec_name
        out = tmp_path_factory.mktemp(spec_name.split(".", maxsplit=1)[0])
        if FAKE:
            shutil.copytree(HERE / "fakeapp" / "fakesvc", out / "fakesvc")
            (out / "fakesvc" / "spec.txt").write_text(spec_name, encoding="utf-8")
            install_probe(out, "fakesvc")
            project = Project(spec, out, "fakesvc", env_prefix_of(out, "fakesvc"))
        else:
            if not checked:
                checked.append(generator_available()[1])
            if checked[0]:
                skip_or_fail(checked[0])
            project = generate(spec, out)
        cache[spec_name] = project
        return project

    return get


DELIVERY_TIMEOUT = 25.0  # a consumer may still be joining its group right after `ready`
RETRY_EVERY = 2.0


@dataclass(frozen=True)
class Receive:
    """A message the broker's client publishes and the service must receive."""

    operation: str
    address: str  # the spec's address; {name} = channel parameter
    params: dict[str, str]  # parameter -> value ({uid}/{num} made unique per test)
    payload: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Send:
    """A send operation the generated producer performs and the broker's client must see."""

    operation: str
    address: str
    params: dict[str, str]
    payload: dict[str, Any]
    match_key: str  # payload field that identifies this test's message among others on the address
    headers: dict[str, str] = field(default_factory=dict)  # the producer's `headers` argument
    #: what the broker's client must see besides the payload: headers, and "qos"/"key" where it reports them
    expect: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    """A request the broker's client sends; the service must answer it."""

    operation: str
    address: str
    payload: dict[str, Any]
    reply_address: str  # where the client asks for the reply ({uid} unique)
    reply_fields: frozenset[str]  # fields every reply must carry


@dataclass
class Delivery:
    address: str
    body: bytes
    headers: dict[str, str]
    correlation_id: str | None = None


class Listener:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[Delivery] = asyncio.Queue()
        self.seen: list[Delivery] = []  # everything taken from the queue, for failure messages

    async def next(self, timeout: float) -> Delivery:
        delivery = await asyncio.wait_for(self.queue.get(), timeout)
        self.seen.append(delivery)
        return delivery

    async def first(self, pred: Callable[[Delivery], bool], timeout: float) -> Delivery:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            d = await self.next(left)
            if pred(d):
                return d


async def poll(predicate: Callable[[], Any], timeout: float, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(interval)


def body_json(d: Delivery) -> Any:
    try:
        return json.loads(d.body)
    except ValueError:
        return None


class BrokerContract:
    """The contract every transport meets; subclasses say how the broker's own client talks."""

    kind: ClassVar[str]
    spec: ClassVar[str]
    receive: ClassVar[Receive | None] = None
    send: ClassVar[Send | None] = None
    request: ClassVar[Request | None] = None
    #: where the service puts a message it refuses (None: the transport has no dead-letter destination)
    dead_letter: ClassVar[str | None] = None
    #: extra environment of the service process
    service_env: ClassVar[dict[str, str]] = {}
    #: the receive operation's queue group (NATS): a member of it must share the work with the service
    queue_group: ClassVar[str | None] = None
    #: the consumer group the spec's binding names (Kafka groupId): the running service must be in it
    consumer_group: ClassVar[str | None] = None
    #: AMQP: (exchange, type, durable) and queue names the spec's channel binding declares
    amqp_topology: ClassVar[tuple[tuple[str, str, bool], str] | None] = None
    #: an integer field of the receive payload that makes each of the queue-group test's messages unique
    vary_field: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A test that does not apply to the subclass's spec is not collected (rather than skipped)."""
        super().__init_subclass__(**kwargs)
        for case, test in (
            ("receive", "test_receive"),
            ("send", "test_send"),
            ("request", "test_request_reply"),
            ("queue_group", "test_queue_group_shares_work"),
            ("consumer_group", "test_consumer_group_from_binding"),
            ("amqp_topology", "test_amqp_topology_from_binding"),
        ):
            if getattr(cls, case) is None:
                setattr(cls, test, None)

    # -- the broker's own client (per subclass) --------------------------------------------

    async def client_publish(
        self, broker: Broker, address: str, body: bytes, headers: dict[str, str]
    ) -> None:
        raise NotImplementedError

    def client_listen(self, broker: Broker, address: str) -> contextlib.AbstractAsyncContextManager[Listener]:
        raise NotImplementedError

    async def client_request(
        self,
        broker: Broker,
        address: str,
        body: bytes,
        *,
        correlation_id: str,
        reply_address: str,
        listener: Listener,
    ) -> None:
        """Send one request so that its reply reaches ``listener``."""
        raise NotImplementedError

    # -- fixtures ------------------------------------------------------------------------------

    @pytest.fixture(scope="class")
    def broker(self) -> Broker:
        broker = BROKERS[self.kind]
        broker.require()
        return broker

    @pytest.fixture(scope="class")
    def project(self, broker: Broker, projects: Callable[[str], Project]) -> Project:
        return projects(self.spec)

    @pytest.fixture(scope="class")
    def service(self, project: Project, broker: Broker) -> Any:
        svc = Service(project, broker, f"{self.kind}-service", extra_env=dict(self.service_env)).start()
        print(f"\n[{self.kind}] {project.package} ready after {svc.ready_after:.2f}s")
        yield svc
        if svc.proc is not None and svc.proc.poll() is None:
            svc.stop()

    # -- the contract ------------------------------------------------------------------------------

    async def test_receive(self, request: pytest.FixtureRequest, broker: Broker) -> None:
        case = self.receive
        if case is None:
            pytest.skip(f"{self.spec} has no receive operation without a reply (see test_request_reply)")
        service: Service = request.getfixturevalue("service")
        values = unique_values()
        params = fill(case.params, values)
        payload = fill(case.payload, values)
        address = address_of(case.address, params)
        body = json.dumps(payload).encode()

        def match() -> dict[str, Any] | None:
            return next((r for r in service.records() if r["payload"] == payload), None)

        t0 = time.monotonic()
        attempts = 0
        found = None
        while found is None and time.monotonic() - t0 < DELIVERY_TIMEOUT:
            await self.client_publish(broker, address, body, fill(case.headers, values))
            attempts += 1
            found = await poll(match, RETRY_EVERY)
        assert found, (
            f"{case.operation}: the handler never got the message published to {address!r} "
            f"({attempts} attempts in {DELIVERY_TIMEOUT}s). Records: {service.records()[-5:]}\n"
            f"Service log:\n{service.tail()}"
        )
        took = time.monotonic() - t0
        print(f"[{self.kind}] {case.operation}: handled after {took:.2f}s, {attempts} publish(es)")
        got_params = found["params"] or {}
        for name, value in params.items():
            assert value in (got_params.values() if isinstance(got_params, dict) else []), (
                f"channel parameter {name}={value!r} not handed to the handler: {got_params}"
            )

    async def test_send(self, request: pytest.FixtureRequest, broker: Broker) -> None:
        await self.check_send(request, broker)

    async def check_send(self, request: pytest.FixtureRequest, broker: Broker) -> None:
        """The generated producer, run in a process of its own, publishes; the broker's client sees it."""
        case = self.send
        assert case is not None
        project: Project = request.getfixturevalue("project")
        values = unique_values()
        params = fill(case.params, values)
        payload = fill(case.payload, values)
        address = address_of(case.address, params)
        async with self.client_listen(broker, address) as listener:
            t0 = time.monotonic()
            headers = fill(case.headers, values)
            await asyncio.to_thread(
                lambda: send_with_producer(project, broker, case.operation, payload, params, headers=headers)
            )
            try:
                got = await listener.first(
                    lambda d: (
                        isinstance(body_json(d), dict)
                        and body_json(d).get(case.match_key) == payload[case.match_key]
                    ),
                    DELIVERY_TIMEOUT,
                )
            except TimeoutError:
                seen = [(d.address, d.body[:300]) for d in listener.seen[:5]]
                pytest.fail(
                    f"{case.operation}: no JSON message with {case.match_key}={payload[case.match_key]!r} on "
                    f"{address!r} in {DELIVERY_TIMEOUT}s; the broker's client saw (address, raw body): {seen}"
                )
        took = time.monotonic() - t0
        print(f"[{self.kind}] {case.operation}: the broker's client got it {took:.2f}s after producer start")
        assert got.address == address
        assert body_json(got) == payload
        for name, value in fill(case.expect, values).items():
            assert got.headers.get(name) == value, (
                f"{name}: expected {value!r}, the broker's client saw {got.headers}"
            )

    async def test_request_reply(self, request: pytest.FixtureRequest, broker: Broker) -> None:
        case = self.request
        if case is None:
            pytest.skip(f"{self.spec} has no operation with a reply")
        service: Service = request.getfixturevalue("service")
        values = unique_values()
        payload = fill(case.payload, values)
        reply_address = fill(case.reply_address, values)
        body = json.dumps(payload).encode()
        sent: list[str] = []
        t0 = time.monotonic()
        reply: Delivery | None = None
        async with self.client_listen(broker, reply_address) as listener:
            while reply is None and time.monotonic() - t0 < DELIVERY_TIMEOUT:
                cid = str(uuid.uuid4())
                sent.append(cid)
                await self.client_request(
                    broker,
                    case.address,
                    body,
                    correlation_id=cid,
                    reply_address=reply_address,
                    listener=listener,
                )
                with contextlib.suppress(TimeoutError):
                    reply = await listener.first(lambda d: True, RETRY_EVERY)
        assert reply is not None, (
            f"{case.operation}: no reply on {reply_address!r} in {DELIVERY_TIMEOUT}s ({len(sent)} requests)\n"
            f"Records: {service.records()[-3:]}\nService log:\n{service.tail()}"
        )
        took = time.monotonic() - t0
        print(f"[{self.kind}] {case.operation}: reply after {took:.2f}s, {len(sent)} request(s)")
        assert reply.correlation_id in sent, (
            f"reply correlation id {reply.correlation_id!r} not in {sent}; headers {reply.headers}"
        )
        data = body_json(reply)
        assert isinstance(data, dict) and case.reply_fields <= data.keys(), (
            f"reply {reply.body!r} lacks {case.reply_fields}"
        )
        assert any(r["payload"] == payload for r in service.records()), (
            "the handler did not record the request"
        )

    async def test_queue_group_shares_work(self, request: pytest.FixtureRequest, broker: Broker) -> None:
        """Another member of the spec's queue group gets a share; together each message once."""
        assert self.receive is not None and self.queue_group is not None
        service: Service = request.getfixturevalue("service")
        values = unique_values()
        address = address_of(self.receive.address, fill(self.receive.params, values))
        n = 20
        bodies = [{**fill(self.receive.payload, values), self.vary_field: i} for i in range(n)]
        async with self.client_queue_listen(broker, address, self.queue_group) as ours:
            for body in bodies:
                await self.client_publish(broker, address, json.dumps(body).encode(), {})

            def theirs() -> int:
                return sum(1 for r in service.records() if r["payload"] in bodies)

            await poll(lambda: theirs() + ours.queue.qsize() >= n, DELIVERY_TIMEOUT)
            await asyncio.sleep(0.5)  # anything beyond n would be a duplicate: give it time to show
            mine = ours.queue.qsize()
        print(f"[{self.kind}] queue group {self.queue_group}: service {theirs()}, other member {mine} of {n}")
        assert theirs() + mine == n, f"{theirs()} + {mine} != {n}: messages lost or delivered twice"
        assert theirs() > 0 and mine > 0, "the service is not in the queue group (one side got everything)"

    def client_queue_listen(
        self, broker: Broker, address: str, queue: str
    ) -> contextlib.AbstractAsyncContextManager[Listener]:
        raise NotImplementedError

    async def test_consumer_group_from_binding(self, request: pytest.FixtureRequest, broker: Broker) -> None:
        """The broker reports the spec's consumer group (operation binding) with the service in it."""
        assert self.consumer_group is not None
        request.getfixturevalue("service")
        state, members = await self.client_describe_group(broker, self.consumer_group)
        print(f"[{self.kind}] group {self.consumer_group}: {state}, {members} member(s)")
        assert members >= 1, f"group {self.consumer_group!r} has no members ({state}): binding not honoured?"

    async def client_describe_group(self, broker: Broker, group: str) -> tuple[str, int]:
        raise NotImplementedError

    async def test_amqp_topology_from_binding(self, request: pytest.FixtureRequest, broker: Broker) -> None:
        """The exchange exists with the binding's type and durability; the queue exists."""
        import aio_pika
        from aiormq.exceptions import ChannelNotFoundEntity, ChannelPreconditionFailed

        assert self.amqp_topology is not None
        (exchange, kind, durable), queue = self.amqp_topology
        request.getfixturevalue("service")
        conn = await aio_pika.connect(broker.url)
        try:
            channel = await conn.channel()
            try:  # re-declaring with other arguments than the existing exchange's fails
                await channel.declare_exchange(exchange, type=kind, durable=durable)
                await channel.get_queue(queue, ensure=True)  # passive: must exist
            except ChannelPreconditionFailed as exc:
                pytest.fail(
                    f"exchange {exchange!r} is not {kind}/durable={durable} as the binding says: {exc}"
                )
            except ChannelNotFoundEntity as exc:
                pytest.fail(f"queue {queue!r} of the channel binding was not declared: {exc}")
        finally:
            await conn.close()

    async def test_invalid_message_is_refused(self, request: pytest.FixtureRequest, broker: Broker) -> None:
        """A message that breaks the schema never reaches the handler, and is not dropped silently."""
        if FAKE:
            pytest.skip("the hand-written fake service does not validate payloads")
        service: Service = request.getfixturevalue("service")
        values = unique_values()
        if self.receive is not None:
            operation, address = (
                self.receive.operation,
                address_of(self.receive.address, fill(self.receive.params, values)),
            )
        else:
            assert self.request is not None
            operation, address = self.request.operation, self.request.address
        bogus = {"itInvalid": values["uid"], "sentAt": "not a date"}
        body = json.dumps(bogus).encode()
        refusal = re.compile(rf"(?i)(refus|reject|invalid|dead.?letter).*{re.escape(operation)}")
        before = len(refusal.findall(service.log()))

        async def publish_until_refused() -> bool:
            t0 = time.monotonic()
            while time.monotonic() - t0 < DELIVERY_TIMEOUT:
                await self.client_publish(broker, address, body, {})
                if await poll(lambda: len(refusal.findall(service.log())) > before, RETRY_EVERY):
                    return True
            return False

        if self.dead_letter is None:
            refused = await publish_until_refused()
        else:
            async with self.client_listen(broker, self.dead_letter) as dead:
                refused = await publish_until_refused()
                try:
                    got = await dead.first(lambda d: values["uid"].encode() in d.body, DELIVERY_TIMEOUT)
                except TimeoutError:
                    pytest.fail(
                        f"the refused message never reached the dead-letter destination {self.dead_letter!r}"
                    )
            assert body_json(got) == bogus, f"dead-lettered body changed: {got.body!r}"
            print(f"[{self.kind}] {operation}: invalid message dead-lettered to {self.dead_letter}")
        assert refused, f"no refusal of the invalid message was logged for {operation}:\n{service.tail()}"
        assert not any(r["payload"] == bogus or values["uid"] in json.dumps(r) for r in service.records()), (
            "the handler was called with the invalid message"
        )

    def test_sigterm_exits_zero(self, service: Service) -> None:
        """Last in the class: stops the class's service (a second one would join the same consumer group)."""
        code, took = service.stop()
        print(f"[{self.kind}] exit {code} {took:.2f}s after SIGTERM")
        assert code == 0, f"exit code {code} after SIGTERM\n{service.tail()}"
        assert took < STOP_TIMEOUT
        assert "Traceback" not in service.log(), f"the service logged a traceback:\n{service.log()[-4000:]}"


# -- MQTT: mosquitto_pub / mosquitto_sub ----------------------------------------------------------


async def _run(*cmd: str, timeout: float = 20) -> str:
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    if proc.returncode != 0:
        raise AssertionError(f"{cmd[0]} exited {proc.returncode}: {err.decode()[-500:]}")
    return out.decode()


@contextlib.asynccontextmanager
async def _line_reader(
    cmd: list[str], ready: Callable[[str], bool], parse: Callable[..., Any]
) -> AsyncIterator[Listener]:
    """Run a CLI subscriber; yield once ``ready(line)``; feed parsed lines into a Listener."""
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        stdin=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    listener = Listener()
    seen: list[str] = []

    async def until_ready() -> None:
        while True:
            line = (await proc.stdout.readline()).decode(errors="replace")
            if not line:
                raise AssertionError(f"{cmd[0]} ended before subscribing: {seen}")
            seen.append(line)
            if ready(line):
                return

    async def pump() -> None:
        await parse(proc.stdout, listener)

    try:
        await asyncio.wait_for(until_ready(), 15)
        task = asyncio.create_task(pump())
        try:
            yield listener
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    finally:
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()


class TestMQTT(BrokerContract):
    kind = "mqtt"
    spec = "streetlights-mqtt.asyncapi.yaml"
    receive = Receive(
        operation="receiveLightMeasurement",
        address="smartylighting/streetlights/1/0/event/{streetlightId}/lighting/measured",
        params={"streetlightId": "lamp-{uid}"},
        payload={"lumens": 42, "sentAt": "2026-03-02T17:45:00Z"},
    )
    send = Send(
        operation="turnOn",
        address="smartylighting/streetlights/1/0/action/{streetlightId}/turn/on",
        params={"streetlightId": "lamp-{uid}"},
        payload={"command": "on", "sentAt": "2026-03-02T17:45:01Z"},
        match_key="command",
        # the operation's mqtt binding says qos 1; the test subscribes with qos 1. The service speaks
        # MQTT 5 (its default): the payload's content type travels as the content type property
        expect={"qos": "1", "content-type": "application/json"},
    )

    async def client_publish(
        self, broker: Broker, address: str, body: bytes, headers: dict[str, str]
    ) -> None:
        await _run(
            "mosquitto_pub", "-h", HOST, "-p", str(broker.port), "-q", "1", "-t", address, "-m", body.decode()
        )

    def client_listen(self, broker: Broker, address: str) -> contextlib.AbstractAsyncContextManager[Listener]:
        async def parse(stream: asyncio.StreamReader, listener: Listener) -> None:
            while line := (await stream.readline()).decode(errors="replace"):
                if line.startswith("Client ") or "\t" not in line:
                    continue  # -d debug lines
                topic, qos, content_type, payload = line.rstrip("\n").split("\t", 3)
                listener.queue.put_nowait(
                    Delivery(topic, payload.encode(), {"qos": qos, "content-type": content_type})
                )

        # stdbuf: mosquitto_sub block-buffers stdout into a pipe (SUBACK would show up only later)
        cmd = [
            "stdbuf",
            "-oL",
            "mosquitto_sub",
            "-h",
            HOST,
            "-p",
            str(broker.port),
            "-q",
            "1",
            "-d",
            "-V",
            "5",
            "-F",
            # topic, QoS as delivered (min of publish and subscribe QoS), MQTT 5 content type, payload
            "%t\t%q\t%C\t%p",
            "-t",
            address,
        ]
        return _line_reader(cmd, lambda line: "SUBACK" in line, parse)


# -- Redis: redis-cli ---------------------------------------------------------------------------------


class TestRedis(BrokerContract):
    kind = "redis"
    spec = "redis-notifications.asyncapi.yaml"
    receive = Receive(
        operation="handleNotificationRequested",
        address="notifications.requested",
        params={},
        payload={
            "notificationId": "6f1e2d3c-4b5a-4978-8e7f-{uid}",
            "userId": "u-{num}",
            "template": "order-shipped",
            "data": {"orderId": "SO-20260001", "carrier": "DHL"},
            "priority": "high",
        },
    )
    send = Send(
        operation="publishUserNotification",
        address="notifications.user.{userId}",
        params={"userId": "u-{num}"},
        payload={
            "notificationId": "6f1e2d3c-4b5a-4978-8e7f-{uid}",
            "userId": "u-{num}",
            "title": "Your order has shipped",
            "body": 'Order SO-20260001 is on its way: "DHL" \\ 2 parcels',
            "createdAt": "2026-03-04T16:31:00Z",
        },
        match_key="notificationId",
    )

    async def client_publish(
        self, broker: Broker, address: str, body: bytes, headers: dict[str, str]
    ) -> None:
        await _run("redis-cli", "-h", HOST, "-p", str(broker.port), "PUBLISH", address, body.decode())

    def client_listen(self, broker: Broker, address: str) -> contextlib.AbstractAsyncContextManager[Listener]:
        async def parse(stream: asyncio.StreamReader, listener: Listener) -> None:
            # raw (non-tty) output: one line per element: "message", channel, payload
            # (a body with a newline in it arrives cut at the newline; JSON bodies have none)
            while raw := await stream.readline():
                if raw.rstrip(b"\n") == b"message":
                    channel = (await stream.readline()).decode(errors="replace").rstrip("\n")
                    payload = (await stream.readline()).rstrip(b"\n")
                    listener.queue.put_nowait(Delivery(channel, payload, {}))

        cmd = ["redis-cli", "-h", HOST, "-p", str(broker.port), "SUBSCRIBE", address]
        return _line_reader(cmd, lambda line: line.strip() == "1", parse)


# -- NATS: the nats-py client --------------------------------------------------------------------


class TestNATS(BrokerContract):
    kind = "nats"
    spec = "nats-telemetry.asyncapi.yaml"
    queue_group = "telemetry-ingest"
    vary_field = "battery"
    receive = Receive(
        operation="ingestReading",
        address="telemetry.{siteId}.{deviceId}.readings",
        params={"siteId": "site-{uid}", "deviceId": "dev-{num}"},
        payload={
            "deviceId": "dev-{num}",
            "metric": "temperature",
            "value": 81.5,
            "unit": "celsius",
            "measuredAt": "2026-03-02T12:00:00Z",
            "battery": 77,
        },
    )
    send = Send(
        operation="raiseAlert",
        address="telemetry.{siteId}.alerts",
        params={"siteId": "site-{uid}"},
        payload={
            "siteId": "site-{uid}",
            "deviceId": "dev-{num}",
            "metric": "temperature",
            "value": 81.5,
            "limit": 75,
            "severity": "critical",
            "raisedAt": "2026-03-02T12:00:01Z",
        },
        match_key="siteId",
        expect={"content-type": "application/json"},
    )

    async def client_publish(
        self, broker: Broker, address: str, body: bytes, headers: dict[str, str]
    ) -> None:
        import nats

        nc = await nats.connect(broker.url)
        try:
            await nc.publish(address, body, headers=headers or None)
            await nc.flush()
        finally:
            await nc.close()

    @contextlib.asynccontextmanager
    async def client_listen(self, broker: Broker, address: str) -> AsyncIterator[Listener]:
        import nats

        listener = Listener()
        nc = await nats.connect(broker.url)

        async def on_msg(msg: Any) -> None:
            listener.queue.put_nowait(Delivery(msg.subject, msg.data, dict(msg.headers or {})))

        try:
            await nc.subscribe(address, cb=on_msg)
            await nc.flush()
            yield listener
        finally:
            await nc.close()

    @contextlib.asynccontextmanager
    async def client_queue_listen(self, broker: Broker, address: str, queue: str) -> AsyncIterator[Listener]:
        import nats

        listener = Listener()
        nc = await nats.connect(broker.url)

        async def on_msg(msg: Any) -> None:
            listener.queue.put_nowait(Delivery(msg.subject, msg.data, dict(msg.headers or {})))

        try:
            await nc.subscribe(address, queue=queue, cb=on_msg)
            await nc.flush()
            yield listener
        finally:
            await nc.close()


# -- RabbitMQ: aio-pika --------------------------------------------------------------------------------


class TestRabbitMQ(BrokerContract):
    kind = "rabbit"
    spec = "amqp-rpc.asyncapi.yaml"
    request = Request(
        operation="checkStock",
        address="inventory.stock.check",
        payload={"sku": "PUMP-200", "warehouse": "MUC1"},
        reply_address="",  # a server-named exclusive queue (amq.gen-...), as pika/aio-pika RPC clients use
        reply_fields=frozenset({"sku", "available", "reserved", "asOf"}),
    )
    send = Send(
        operation="sendStockLevel",
        address="{replyQueue}",
        params={"replyQueue": "it.stock.levels.{uid}"},
        payload={
            "sku": "SKU-{num}",
            "available": 17,
            "reserved": 3,
            "byWarehouse": {"MUC1": 17},
            "asOf": "2026-03-02T10:00:00Z",
        },
        match_key="sku",
        expect={"content_type": "application/json"},  # the AMQP property (see client_listen)
    )
    dead_letter = "inventory.stock.check.dlq"
    amqp_topology = (("inventory", "direct", True), "inventory.stock.check")
    EXCHANGE = "inventory"
    _reply_queue = ""

    async def client_publish(
        self, broker: Broker, address: str, body: bytes, headers: dict[str, str]
    ) -> None:
        import aio_pika

        conn = await aio_pika.connect(broker.url)
        try:
            channel = await conn.channel()
            exchange = await channel.get_exchange(self.EXCHANGE, ensure=True)
            await exchange.publish(
                aio_pika.Message(body, content_type="application/json"), routing_key=address
            )
        finally:
            await conn.close()

    @contextlib.asynccontextmanager
    async def client_listen(self, broker: Broker, address: str) -> AsyncIterator[Listener]:
        import aio_pika

        listener = Listener()
        conn = await aio_pika.connect(broker.url)
        try:
            channel = await conn.channel()
            if address.endswith(".dlq"):  # the service's own durable queue: use it as declared
                queue = await channel.get_queue(address, ensure=True)
            else:  # "" = a server-named queue
                queue = await channel.declare_queue(address, exclusive=True, auto_delete=True)
                self._reply_queue = queue.name

            async def on_msg(msg: Any) -> None:
                async with msg.process():
                    listener.queue.put_nowait(
                        Delivery(
                            msg.routing_key or "",
                            msg.body,
                            # headers, and the AMQP content_type property as "content_type"
                            {"content_type": str(msg.content_type)}
                            | {k: str(v) for k, v in (msg.headers or {}).items()},
                            msg.correlation_id,
                        )
                    )

            await queue.consume(on_msg)
            self._channel = channel
            yield listener
        finally:
            await conn.close()

    async def client_request(
        self,
        broker: Broker,
        address: str,
        body: bytes,
        *,
        correlation_id: str,
        reply_address: str,
        listener: Listener,
    ) -> None:
        import aio_pika

        exchange = await self._channel.get_exchange(self.EXCHANGE, ensure=True)
        await exchange.publish(
            aio_pika.Message(
                body,
                content_type="application/json",
                correlation_id=correlation_id,
                reply_to=self._reply_queue,
            ),
            routing_key=address,
        )


# -- Kafka (Tansu): aiokafka ------------------------------------------------------------------------------


class KafkaClient:
    async def client_describe_group(self, broker: Broker, group: str) -> tuple[str, int]:
        from aiokafka.admin import AIOKafkaAdminClient

        admin = AIOKafkaAdminClient(bootstrap_servers=broker.url)
        await admin.start()
        try:
            (response,) = await admin.describe_consumer_groups([group])
            (_error, _group, state, *_rest, members) = response.groups[0]
            return str(state), len(members)
        finally:
            await admin.close()

    @staticmethod
    async def ensure_topic(bootstrap: str, topic: str) -> None:
        from aiokafka.admin import AIOKafkaAdminClient, NewTopic
        from aiokafka.errors import TopicAlreadyExistsError

        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            if topic not in await admin.list_topics():
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        finally:
            await admin.close()

    async def client_publish(
        self, broker: Broker, address: str, body: bytes, headers: dict[str, str]
    ) -> None:
        from aiokafka import AIOKafkaProducer

        producer = AIOKafkaProducer(bootstrap_servers=broker.url)
        await producer.start()
        try:
            await producer.send_and_wait(address, body, headers=[(k, v.encode()) for k, v in headers.items()])
        finally:
            await producer.stop()

    @contextlib.asynccontextmanager
    async def client_listen(self, broker: Broker, address: str) -> AsyncIterator[Listener]:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        await self.ensure_topic(broker.url, address)
        listener = Listener()
        consumer = AIOKafkaConsumer(bootstrap_servers=broker.url, enable_auto_commit=False)
        await consumer.start()

        async def pump() -> None:
            async for rec in consumer:
                headers = {k: v.decode(errors="replace") for k, v in rec.headers or ()}
                if rec.key is not None:
                    headers["key"] = rec.key.decode(errors="replace")
                listener.queue.put_nowait(
                    Delivery(rec.topic, rec.value or b"", headers, headers.get("correlationId"))
                )

        try:
            partitions = consumer.partitions_for_topic(address) or {0}
            consumer.assign([TopicPartition(address, p) for p in partitions])
            await consumer.seek_to_end()
            for tp in consumer.assignment():
                await consumer.position(tp)  # resolve "end" now, before anything is sent
            task = asyncio.create_task(pump())
            try:
                yield listener
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        finally:
            await consumer.stop()


class TestKafkaErpEvents(KafkaClient, BrokerContract):
    kind = "kafka"
    spec = "erp-events.asyncapi.yaml"
    dead_letter = "payments.payment.received.dlq"
    consumer_group = "erp-payments"  # receivePaymentReceived's kafka binding groupId
    receive = Receive(
        operation="receivePaymentReceived",
        address="payments.payment.received",
        params={},
        payload={
            "paymentId": "pay_{uid}",
            "invoiceId": "INV-26000017",
            "amount": "1784.88",
            "currency": "EUR",
            "receivedAt": "2026-03-20T08:01:12Z",
            "method": "sepa-debit",
        },
    )
    send = Send(
        operation="publishOrderCreated",
        address="erp.order.created",
        params={"key": "SO-{num}"},  # the producer's `key` argument: the message binding's key (order id)
        headers={"eventType": "OrderCreated", "tenant": "DE01"},
        expect={
            "key": "SO-{num}",
            "eventType": "OrderCreated",
            "tenant": "DE01",
            "content-type": "application/json",
        },
        payload={
            "eventId": "9b2d7c1e-2f4a-4c8e-b1d5-{uid}",
            "occurredAt": "2026-03-02T10:00:00Z",
            "order": {
                "id": "SO-20260001",
                "customerId": "C-000042",
                "status": "pending",
                "currency": "EUR",
                "lines": [
                    {
                        "lineNo": 1,
                        "sku": "PUMP-200",
                        "quantity": 2,
                        "unitPrice": "640.00",
                        "lineTotal": "1280.00",
                    }
                ],
                "total": "1280.00",
                "createdAt": "2026-03-02T10:00:00Z",
            },
        },
        match_key="eventId",
    )


class TestKafkaRequestReply(KafkaClient, BrokerContract):
    kind = "kafka"
    spec = "kafka-request-reply.asyncapi.yaml"
    dead_letter = "pricing.quote.requests.dlq"
    consumer_group = "pricing-service"  # answerQuoteRequest's kafka binding groupId
    request = Request(
        operation="answerQuoteRequest",
        address="pricing.quote.requests",
        payload={"sku": "PUMP-200", "quantity": 10, "currency": "EUR", "customerTier": "gold"},
        reply_address="it.quote.replies.{uid}",
        reply_fields=frozenset({"sku"}),
    )

    async def client_request(
        self,
        broker: Broker,
        address: str,
        body: bytes,
        *,
        correlation_id: str,
        reply_address: str,
        listener: Listener,
    ) -> None:
        # Only the spec's headers, as a client that is not FastStream would send them.
        await self.client_publish(
            broker, address, body, {"correlationId": correlation_id, "replyTo": reply_address}
        )


# -- WebSockets: the service is the server; the `websockets` client library --------------------------


class TestWebSocket(BrokerContract):
    kind = "ws"
    spec = "ws-chat.asyncapi.yaml"
    receive = Receive(
        operation="receivePost",
        address="/rooms/{roomId}",
        params={"roomId": "room-{uid}"},
        payload={"type": "post", "text": 'Hello, "team" \u2014 see C:\\docs\\{uid}.md'},
    )
    # The handler broadcasts what it received, as a chat server's would: IT_ECHO makes the test's
    # handlers.py call the generated producer of sendChatEvent in the service process.
    service_env: ClassVar[dict[str, str]] = {
        "IT_ECHO": json.dumps(
            {
                "operation": "sendChatEvent",
                "payload": {
                    "type": "message",
                    "messageId": "m-1",
                    "author": {"userId": "u-1", "displayName": "Ada"},
                    "text": "$in.text",
                    "postedAt": "2026-03-02T09:00:00Z",
                },
            }
        )
    }

    @staticmethod
    def _url(broker: Broker, address: str) -> str:
        return f"{broker.url}{address}?token=it-token"

    async def client_publish(
        self, broker: Broker, address: str, body: bytes, headers: dict[str, str]
    ) -> None:
        from websockets.asyncio.client import connect

        async with connect(self._url(broker, address)) as ws:
            await ws.send(body.decode())

    send = Send(operation="sendChatEvent", address="/rooms/{roomId}", params={}, payload={}, match_key="text")

    async def check_send(self, request: pytest.FixtureRequest, broker: Broker) -> None:
        """sendChatEvent: a member posts; every member connected to the room gets the broadcast."""
        from websockets.asyncio.client import connect

        request.getfixturevalue("service")
        values = unique_values()
        address = address_of("/rooms/{roomId}", {"roomId": f"room-{values['uid']}"})
        text = f"broadcast {values['uid']}"
        t0 = time.monotonic()
        async with (
            connect(self._url(broker, address)) as listener,
            connect(self._url(broker, address)) as poster,
        ):
            await poster.send(json.dumps({"type": "post", "text": text}))
            frame = await asyncio.wait_for(listener.recv(), DELIVERY_TIMEOUT)
        event = json.loads(frame)
        print(f"[ws] sendChatEvent: broadcast received {time.monotonic() - t0:.2f}s after the post")
        assert event["type"] == "message" and event["text"] == text, event
