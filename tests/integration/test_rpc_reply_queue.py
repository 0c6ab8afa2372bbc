"""The corpus' RabbitMQ RPC pair, both generated: rpc-server as a service, rpc-client as a library.

``asyncapi__spec__rpc-server-asyncapi.yml`` is generated and run as ``python -m rpc_server_example``
(its user-owned ``handlers.py`` replaced by one that answers ``sum`` with
``producers.publish_send_sum_result(..., queue=<the request's reply_to>)``, as a user would write it).
``asyncapi__spec__rpc-client-asyncapi.yml`` is generated and its ``producers.request_sum()`` called
from a separate process against the same RabbitMQ. Proves: the typed, validated reply comes back
on an exclusive queue RabbitMQ named (``amq.gen-...``; another connection may not use it); ten
overlapping requests each get their own reply (correlation ids); a reply breaking the spec raises
``InvalidMessage`` with the reason (logged); no reply in time raises ``TimeoutError``, and the reply
arriving later is logged, not dropped silently; the server exits 0 on SIGTERM.
About 10 s here (two generations, one service start, one client process).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import require_shared
from it_harness import BROKERS, Project, Service, generate, generator_available, project_env, skip_or_fail

pytestmark = pytest.mark.integration

SERVER_SPEC = "asyncapi/3.0/asyncapi__spec__rpc-server-asyncapi.yml"
CLIENT_SPEC = "asyncapi/3.0/asyncapi__spec__rpc-client-asyncapi.yml"

#: the server's handlers.py (the user's file): a sum, a slow one and one breaking the spec
SERVER_HANDLERS = """
from __future__ import annotations

import asyncio

from . import producers, runtime
from .broker import broker
from .models import SendSumResultPayload, SumPayload


async def on_sum(payload: SumPayload, *, meta: runtime.Incoming) -> None:
    numbers = payload.numbers or []
    if numbers == [-1]:  # slower than the client waits
        await asyncio.sleep(1.5)
    if numbers == [-2]:  # a reply that breaks the client's spec
        await broker.publish(b'{"result": "seven"}', meta.reply_to, correlation_id=meta.correlation_id)
        return
    await producers.publish_send_sum_result(
        SendSumResultPayload(result=sum(numbers)), queue=meta.reply_to, correlation_id=meta.correlation_id
    )
"""

#: runs in the client project's folder: what the generated request function gives, as JSON
CLIENT_SCRIPT = """
import asyncio, json, logging, sys

import aio_pika

from rpc_client_example import producers, runtime
from rpc_client_example.broker import broker
from rpc_client_example.models import RequestSumPayload
from rpc_client_example.settings import get_settings

logged = []
handler = logging.Handler()
handler.emit = lambda record: logged.append(record.getMessage())
logging.getLogger("rpc_client_example").addHandler(handler)
logging.getLogger("rpc_client_example").setLevel(logging.INFO)


async def main() -> None:
    out = {}
    async with broker:
        reply = await producers.request_sum(RequestSumPayload(numbers=[4, 3]))
        out["reply"] = [type(reply).__name__, reply.model_dump()]
        queue = out["queue"] = await runtime.REPLY_QUEUE.name()
        calls = (producers.request_sum(RequestSumPayload(numbers=[i, 100])) for i in range(10))
        many = await asyncio.gather(*calls)
        out["overlapping"] = [r.result for r in many]
        try:
            await producers.request_sum(RequestSumPayload(numbers=[-2]))
        except runtime.InvalidMessage as exc:
            out["invalid"] = str(exc)
        try:
            await producers.request_sum(RequestSumPayload(numbers=[-1]), timeout=0.5)
        except TimeoutError as exc:
            out["timeout"] = str(exc)
        async with asyncio.timeout(15):  # the server answers [-1] after 1.5 s
            while not any("arrived after the request timed out" in m for m in logged):
                await asyncio.sleep(0.05)
        other = await aio_pika.connect(get_settings().broker_url)
        try:
            channel = await other.channel()
            await channel.declare_queue(queue, passive=True)
            out["other_connection"] = "allowed"
        except aio_pika.exceptions.ChannelClosed as exc:
            out["other_connection"] = str(exc)
        finally:
            await other.close()
    out["logged"] = logged
    print(json.dumps(out))


asyncio.run(main())
"""


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Project]:
    shared = require_shared()
    BROKERS["rabbit"].require()
    ok, why = generator_available()
    if not ok:
        skip_or_fail(why)
    root = tmp_path_factory.mktemp("rpc")
    server = generate(shared / "corpus" / SERVER_SPEC, root / "server")
    (server.out / server.package / "handlers.py").write_text(SERVER_HANDLERS, encoding="utf-8")
    client = generate(shared / "corpus" / CLIENT_SPEC, root / "client")
    return server, client


@pytest.fixture(scope="module")
def server(projects: tuple[Project, Project]) -> Iterator[Service]:
    service = Service(projects[0], BROKERS["rabbit"], f"rpc-server-{uuid.uuid4().hex[:6]}").start()
    try:
        yield service
    finally:
        service.kill()


@pytest.fixture(scope="module")
def client_run(projects: tuple[Project, Project], server: Service) -> dict[str, Any]:
    client = projects[1]
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CLIENT_SCRIPT)],
        cwd=client.out,
        env=project_env(client, BROKERS["rabbit"]),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    why = f"client exited {proc.returncode}:\n{proc.stderr[-4000:]}\nserver:\n{server.tail()}"
    assert proc.returncode == 0, why
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_typed_reply_on_a_server_named_exclusive_queue(client_run: dict[str, Any]) -> None:
    assert client_run["reply"] == ["ReceiveSumResultPayload", {"result": 7.0}]
    assert client_run["queue"].startswith("amq.gen-"), client_run["queue"]  # named by RabbitMQ
    assert "RESOURCE_LOCKED" in client_run["other_connection"], client_run["other_connection"]  # exclusive
    assert any(f"reply queue {client_run['queue']} declared" in m for m in client_run["logged"])


def test_overlapping_requests_get_their_own_replies(client_run: dict[str, Any]) -> None:
    assert client_run["overlapping"] == [float(i + 100) for i in range(10)]


def test_reply_breaking_the_spec_is_a_clear_error(client_run: dict[str, Any]) -> None:
    assert "the reply to requestSum (correlation id " in client_run["invalid"]
    assert "does not match the spec: payload: result:" in client_run["invalid"]
    assert any(m.startswith("refused the reply to requestSum") for m in client_run["logged"])


def test_timeout_is_a_clear_error_and_the_late_reply_is_logged(client_run: dict[str, Any]) -> None:
    message = client_run["timeout"]
    assert message.startswith("requestSum: no reply within 0.5 s on the reply queue amq.gen-"), message
    cid = message.split("(correlation id ", 1)[1].split(")", 1)[0]
    assert any("arrived after the request timed out" in m and cid in m for m in client_run["logged"])


def test_server_exits_zero_on_sigterm(client_run: dict[str, Any], server: Service) -> None:
    code, _ = server.stop()
    assert code == 0, server.tail()
    assert "Traceback" not in server.log()
