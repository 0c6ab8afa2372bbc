"""Webhook relay throughput and added latency, next to a bare httpx loop posting the same bodies.

    python bench/relay.py [--events 2000] [--subscribers 1,10,100] [--receivers 10]

Generates the ERP example (AsyncAPI events + OpenAPI API), then, in a fresh process
inside it: loopback receivers (uvicorn, ``--receivers`` ports, subscribers spread over
them), a SQLite store in a temp folder, one ``Relay`` fed directly with ``relay.accept()``
(the broker is not part of this measurement: the e2e test covers Kafka). Printed per
subscriber count: signed deliveries per second end to end (accept -> store -> signed
POST -> 2xx -> recorded), p50/p99 latency from accept to arrival, the same for a bare
``httpx.AsyncClient`` loop (same bodies, same concurrency, no store, no signing), their
ratio, and the relay process' peak RSS.

Goals (issue 4): >= 1,000 deliveries/s to 100 subscribers on a 2-core machine, <= 20 ms
added p99. Not asserted: shared machines are noisy; read the ratios.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = r'''
import asyncio, json, resource, statistics, sys, tempfile, time
import httpx, uvicorn
from erp_events.http_settings import HttpSettings
from erp_events.relay import Relay
from erp_events.store import SqliteStore

EVENTS, SUBS, RECEIVERS = (int(a) for a in sys.argv[1:4])
arrivals = []


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = b""
    while True:
        event = await receive()
        body += event.get("body", b"")
        if not event.get("more_body"):
            break
    arrivals.append(time.perf_counter() - json.loads(body)["t"])
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


class Server(uvicorn.Server):
    def install_signal_handlers(self):
        pass


async def receivers(n):
    servers, ports = [], []
    for _ in range(n):
        server = Server(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", ws="none",
                                       log_level="error", access_log=False))
        asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        servers.append(server)
        ports.append(server.servers[0].sockets[0].getsockname()[1])
    return servers, ports


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000 if values else float("nan")


async def main():
    servers, ports = await receivers(min(RECEIVERS, SUBS))
    urls = [f"http://127.0.0.1:{ports[i % len(ports)]}/hook/{i}" for i in range(SUBS)]
    tmp = tempfile.mkdtemp()
    settings = HttpSettings(_env_file=None, callback_allow_cidrs="127.0.0.0/8", allow_http_callbacks=True,
                            max_concurrency=100, max_per_endpoint=max(10, 100 // len(ports)),
                            poll_interval=0.05, store_url=f"sqlite:///{tmp}/s.db")
    store = SqliteStore(f"{tmp}/s.db")
    await store.open()
    for url in urls:
        await store.create_subscription("default", url, ["OrderCreated"], None)
    relay = Relay(settings, store)
    await relay.start()
    started = time.perf_counter()
    for i in range(EVENTS):
        body = json.dumps({"t": time.perf_counter(), "n": i, "pad": "x" * 200}).encode()
        await relay.accept(f"evt_{i}", "OrderCreated", body, "application/json")
    await relay.drained(timeout=600)
    relay_s = time.perf_counter() - started
    relay_lat = list(arrivals)
    await relay.stop()
    arrivals.clear()

    limit = asyncio.Semaphore(100)
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=100)) as client:
        async def post(url, i):
            async with limit:  # the clock starts when the request can go, as the relay's does at accept
                body = json.dumps({"t": time.perf_counter(), "n": i, "pad": "x" * 200}).encode()
                await client.post(url, content=body, headers={"content-type": "application/json"})

        started = time.perf_counter()
        tasks = []
        for i in range(EVENTS):
            for url in urls:
                tasks.append(asyncio.create_task(post(url, i)))
            if len(tasks) > 2000:
                await asyncio.gather(*tasks)
                tasks = []
        await asyncio.gather(*tasks)
        bare_s = time.perf_counter() - started
    bare_lat = list(arrivals)
    for server in servers:
        server.should_exit = True
    n = EVENTS * SUBS
    print(json.dumps({
        "subscribers": SUBS, "deliveries": n, "delivered": len(relay_lat),
        "relay_per_s": n / relay_s, "bare_per_s": n / bare_s,
        "relay_p50_ms": pct(relay_lat, 0.5), "relay_p99_ms": pct(relay_lat, 0.99),
        "bare_p50_ms": pct(bare_lat, 0.5), "bare_p99_ms": pct(bare_lat, 0.99),
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


asyncio.run(main())
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000, help="events per run (each to every subscriber)")
    parser.add_argument("--subscribers", default="1,10,100")
    parser.add_argument("--receivers", type=int, default=10, help="receiver ports the subscribers share")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "erp"
        subprocess.run(
            [sys.executable, "-m", "asyncgen", "generate", str(ROOT / "specs" / "erp-events.asyncapi.yaml"),
             str(ROOT / "specs" / "erp-api.openapi.yaml"), "-o", str(out)],
            check=True, capture_output=True, cwd=ROOT,
        )  # fmt: skip
        (out / "bench_probe.py").write_text(PROBE)
        print(f"{'subs':>5} {'deliveries':>10} {'relay/s':>9} {'bare/s':>9} {'ratio':>6} "
              f"{'p50 ms':>7} {'p99 ms':>7} {'bare p99':>8} {'RSS MB':>7}")  # fmt: skip
        for subs in (int(s) for s in args.subscribers.split(",")):
            events = max(1, args.events // subs) if subs > 1 else args.events
            proc = subprocess.run(
                [sys.executable, "bench_probe.py", str(events), str(subs), str(args.receivers)],
                cwd=out, capture_output=True, text=True, check=False,
                env={"PYTHONPATH": str(out), "PATH": "/usr/bin:/bin"},
            )  # fmt: skip
            if proc.returncode != 0:
                print(proc.stderr[-2000:])
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            print(
                f"{subs:>5} {r['deliveries']:>10} {r['relay_per_s']:>9.0f} {r['bare_per_s']:>9.0f} "
                f"{r['relay_per_s'] / r['bare_per_s']:>6.2f} {r['relay_p50_ms']:>7.1f} "
                f"{r['relay_p99_ms']:>7.1f} {r['bare_p99_ms']:>8.1f} {r['rss_mb']:>7.0f}"
            )


if __name__ == "__main__":
    main()
