"""Webhook relay throughput, added latency and memory, next to a bare httpx loop posting the same bodies.

    python bench/relay.py [--deliveries 10000] [--subscribers 1,10,100] [--repeat 3]
                          [--rate 1000] [--seconds 5] [--soak 100000] [--enqueue 5000]

Generates the ERP example (AsyncAPI events + OpenAPI API), then runs, inside it:

* a receiver process: ``--receivers`` loopback uvicorn ports (subscribers spread over them)
  answering 204 and noting each arrival's latency (``time.monotonic()`` is one clock for
  every process on Linux);
* per subscriber count, a fresh relay process: a SQLite store in a temp folder, one
  ``Relay`` fed directly with ``relay.accept()`` (the broker is not part of this
  measurement: the e2e test covers Kafka), production settings (100 in flight, 10 per
  endpoint), and in the same process the baseline: ``httpx.AsyncClient`` (one client per
  receiver port, 10 connections each, 100 requests in flight) posting the same bodies,
  unsigned, with no store.

Printed per subscriber count:

* throughput: ``--deliveries`` deliveries offered at once (accept -> store -> signed POST ->
  2xx -> recorded), deliveries/s of each side, best of ``--repeat`` rounds (median);
* added latency: events offered at a steady ``--rate`` deliveries/s for ``--seconds``;
  p50/p99 from the event (``accept`` for the relay, the moment the loop starts posting
  for the baseline) to its arrival at the receiver, and the relay's p99 minus the baseline's;
* the de-duplication's cost: each throughput round also runs the relay with every event remembered
  in ``seen_events`` (``remember=DEDUP_WINDOW``, what the broker consumer passes for messages with
  an identity) next to the plain relay; ``--enqueue N``: the store alone, N plain and N remembered
  enqueues alternating in one store (median time of each), N redeliveries caught, and an enqueue
  that prunes a full ``PRUNE_BATCH`` of expired rows;
* ``--soak N``: N events to ``--soak-subscribers`` (1) with the relay's RSS sampled every 1,000 events
  (start after the first 10%, end, least-squares slope in MB per 100k events).

Goals (issue 4): >= 1,000 deliveries/s to 100 subscribers on a 2-core machine, <= 20 ms
added p99, memory flat over a 100k-event run. Not asserted: shared machines are noisy;
read the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RECEIVERS = r"""
import asyncio, json, sys, time
import uvicorn

latencies = []


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = b""
    while True:
        event = await receive()
        body += event.get("body", b"")
        if not event.get("more_body"):
            break
    if scope["method"] == "GET":  # /stats: the latencies noted since the last call
        out = json.dumps(latencies).encode()
        latencies.clear()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": out})
        return
    latencies.append(time.monotonic() - json.loads(body)["t"])
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


class Server(uvicorn.Server):
    def install_signal_handlers(self):
        pass


async def main():
    ports = []
    for _ in range(int(sys.argv[1])):
        server = Server(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", ws="none",
                                       log_level="error", access_log=False))
        asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        ports.append(server.servers[0].sockets[0].getsockname()[1])
    print(json.dumps(ports), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent closes stdin


asyncio.run(main())
"""

PROBE = r'''
import asyncio, gc, json, os, statistics, sys, tempfile, time
import httpx
from erp_events.http_settings import HttpSettings
from erp_events.relay import Relay
from erp_events.store import SqliteStore

args = json.loads(sys.argv[1])
SUBS, PORTS = args["subscribers"], args["ports"]
PAD = "x" * 200
URLS = [f"http://127.0.0.1:{PORTS[i % len(PORTS)]}/hook/{i}" for i in range(SUBS)]
PAGE = os.sysconf("SC_PAGE_SIZE")


def body(n):
    return json.dumps({"t": time.monotonic(), "n": n, "pad": PAD}).encode()


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


async def stats(client):
    return (await client.get(f"http://127.0.0.1:{PORTS[0]}/stats")).json()


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000 if values else float("nan")


async def make_relay(tmp):
    settings = HttpSettings(_env_file=None, callback_allow_cidrs="127.0.0.0/8", allow_http_callbacks=True,
                            store_url=f"sqlite:///{tmp}/s.db")
    store = SqliteStore(f"{tmp}/s.db")
    await store.open()
    for url in URLS:
        await store.create_subscription("default", url, ["OrderCreated"], None)
    relay = Relay(settings, store)
    await relay.start()
    return relay


class Bare:
    """The baseline: httpx, one client per receiver port (10 connections), 100 requests in flight."""

    def __init__(self):
        self.clients = {p: httpx.AsyncClient(limits=httpx.Limits(max_connections=10, max_keepalive_connections=10))
                        for p in PORTS}
        self.limit = asyncio.Semaphore(100)
        self.tasks = set()

    async def post(self, url, content):
        async with self.limit:
            port = int(url.split(":")[2].split("/")[0])
            response = await self.clients[port].post(url, content=content, headers={"content-type": "application/json"})
            assert response.status_code == 204, response.status_code

    def event(self, n):
        content = body(n)
        for url in URLS:
            task = asyncio.create_task(self.post(url, content))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def drained(self):
        while self.tasks:
            await asyncio.gather(*list(self.tasks))

    async def close(self):
        for client in self.clients.values():
            await client.aclose()


class Raw(Bare):
    """A second baseline without httpx: keep-alive asyncio streams, the same limits, minimal HTTP/1.1."""

    def __init__(self):
        self.idle = {p: [] for p in PORTS}
        self.per_port = {p: asyncio.Semaphore(10) for p in PORTS}
        self.limit = asyncio.Semaphore(100)
        self.tasks = set()

    async def post(self, url, content):
        port = int(url.split(":")[2].split("/")[0])
        path = "/" + url.split("/", 3)[3]
        async with self.limit, self.per_port[port]:
            idle = self.idle[port]
            reader, writer = idle.pop() if idle else await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"POST %s HTTP/1.1\r\nhost: 127.0.0.1:%d\r\ncontent-type: application/json\r\n"
                         b"content-length: %d\r\n\r\n%s" % (path.encode(), port, len(content), content))
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 204"), head
            idle.append((reader, writer))

    async def close(self):
        for idle in self.idle.values():
            for _, writer in idle:
                writer.close()


SIDES = {"bare": Bare, "raw": Raw}


DEDUP_WINDOW = 86400.0  # the default DEDUP_WINDOW: what the broker consumer passes as remember=


async def flood(side, events):
    started = time.perf_counter()
    if side in ("relay", "dedup"):
        # "dedup": every event remembered in seen_events, as the broker consumer does for messages
        # with an identity (Kafka records, messages with a message or correlation id)
        remember = DEDUP_WINDOW if side == "dedup" else 0.0
        with tempfile.TemporaryDirectory() as tmp:
            relay = await make_relay(tmp)
            started = time.perf_counter()
            for n in range(events):
                await relay.accept(f"evt_{n}", "OrderCreated", body(n), "application/json", remember=remember)
            assert await relay.drained(timeout=600)
            elapsed = time.perf_counter() - started
            await relay.stop()
    else:
        bare = SIDES[side]()
        for n in range(events):
            bare.event(n)
        await bare.drained()
        elapsed = time.perf_counter() - started
        await bare.close()
    return events * SUBS / elapsed


async def paced(side, rate, seconds, control):
    per_s = rate / SUBS  # events per second
    events = max(1, int(per_s * seconds))
    with tempfile.TemporaryDirectory() as tmp:
        target = await make_relay(tmp) if side == "relay" else SIDES[side]()
        for n in range(-3, 0):  # warm-up (connections, caches), not counted
            if side == "relay":
                await target.accept(f"evt_{n}", "OrderCreated", body(n), "application/json")
                assert await target.drained(timeout=600)
            else:
                target.event(n)
                await target.drained()
        await stats(control)
        start = time.monotonic()
        for n in range(events):
            delay = start + n / per_s - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if side == "relay":
                await target.accept(f"evt_{n}", "OrderCreated", body(n), "application/json")
            else:
                target.event(n)
        if side == "relay":
            assert await target.drained(timeout=600)
            await target.stop()
        else:
            await target.drained()
            await target.close()
    return events * SUBS


async def soak(events):
    samples = []
    with tempfile.TemporaryDirectory() as tmp:
        relay = await make_relay(tmp)
        started = time.perf_counter()
        for n in range(events):
            await relay.accept(f"evt_{n}", "OrderCreated", body(n), "application/json")
            if n % 1000 == 999:
                while await relay.store.pending() > 2000:  # keep the backlog bounded: measure the relay, not the queue
                    await asyncio.sleep(0.01)
                samples.append((n + 1, rss_mb()))
        assert await relay.drained(timeout=600)
        elapsed = time.perf_counter() - started
        samples.append((events, rss_mb()))
        await relay.stop()
    return samples, events / elapsed


async def enqueue_rates(events, rounds):
    """The store alone (one subscription, no relay loop), enqueue by enqueue: plain and remembered
    alternate in one store, so both see the same disk and load (each enqueue is a durable commit, whose
    fsync dominates and varies); then redeliveries caught, and one prune of PRUNE_BATCH expired rows."""
    out = {"plain": [], "dedup": [], "redelivered": []}
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            store = SqliteStore(f"{tmp}/s.db")
            await store.open()
            await store.create_subscription("default", URLS[0], ["OrderCreated"], None)
            times = {"plain": [], "dedup": []}
            for n in range(2 * events):
                side = ("plain", "dedup")[n % 2]
                remember = DEDUP_WINDOW if side == "dedup" else 0.0
                started = time.perf_counter()
                await store.enqueue(f"evt_{n}", "OrderCreated", body(n), "application/json", remember=remember)
                times[side].append(time.perf_counter() - started)
            for side, values in times.items():
                out[side].append(1e6 * statistics.median(values))  # µs per enqueue
            started = time.perf_counter()
            for n in range(1, 2 * events, 2):
                assert await store.enqueue(f"evt_{n}", "OrderCreated", b"{}", "application/json", remember=DEDUP_WINDOW) == 0
            out["redelivered"].append(1e6 * (time.perf_counter() - started) / events)
            await store.close()
    with tempfile.TemporaryDirectory() as tmp:  # a prune of a full batch, inside an enqueue
        store = SqliteStore(f"{tmp}/s.db")
        await store.open()
        await store.create_subscription("default", URLS[0], ["OrderCreated"], None)
        batch = store.PRUNE_BATCH
        past = time.time() - 10
        rows = [(f"evt_old{n}", past) for n in range(batch * 2)]
        await store._write([("INSERT INTO seen_events (id, expires_at) VALUES (?, ?)", row) for row in rows])
        timings = []
        for n in range(3):
            store._pruned = 0.0  # due now
            started = time.perf_counter()
            await store.enqueue(f"evt_p{n}", "OrderCreated", b"{}", "application/json", remember=DEDUP_WINDOW)
            timings.append((time.perf_counter() - started) * 1000)
        left = await store._read("SELECT COUNT(*) AS n FROM seen_events WHERE expires_at < ?", (time.time(),))
        await store.close()
        out["prune_ms"] = timings  # a full batch, a full batch, nothing left
        out["prune_batch"] = batch
        assert left[0]["n"] == 0, left[0]["n"]
    return out


async def main():
    # no keep-alive: the receivers close idle connections after 5 s, and a round can last longer
    async with httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=0)) as control:
        await stats(control)
        out = {"subscribers": SUBS}
        if args.get("soak"):
            samples, per_s = await soak(args["soak"])
            arrived = await stats(control)
            out.update(samples=samples, per_s=per_s, arrived=len(arrived))
            print(json.dumps(out))
            return
        if args.get("enqueue"):
            print(json.dumps(await enqueue_rates(args["enqueue"], args["repeat"])))
            return
        events = max(1, args["deliveries"] // SUBS)
        rounds = {"relay": [], "dedup": [], "bare": [], "raw": []}
        for _ in range(args["repeat"]):
            for side in ("relay", "dedup", "bare", "raw"):
                rounds[side].append(await flood(side, events))
                arrived = len(await stats(control))
                assert arrived == events * SUBS, (side, arrived)  # every delivery arrived exactly once
        out["deliveries"] = events * SUBS
        out["flood"] = rounds
        for side in ("relay", "bare", "raw"):
            sent = await paced(side, args["rate"], args["seconds"], control)
            lat = await stats(control)
            assert len(lat) == sent, (side, len(lat), sent)
            out[side] = {"p50": pct(lat, 0.5), "p99": pct(lat, 0.99), "n": sent}
        out["rss_mb"] = rss_mb()
        print(json.dumps(out))


asyncio.run(main())
'''


def fmt(values: list[float]) -> str:
    return f"{max(values):.0f} ({statistics.median(values):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=10000, help="deliveries per throughput round")
    parser.add_argument("--subscribers", default="1,10,100")
    parser.add_argument("--receivers", type=int, default=10, help="receiver ports the subscribers share")
    parser.add_argument("--repeat", type=int, default=3, help="throughput rounds per side")
    parser.add_argument("--rate", type=float, default=1000, help="deliveries/s offered in the latency phase")
    parser.add_argument("--seconds", type=float, default=5, help="length of the latency phase per side")
    parser.add_argument("--soak", type=int, default=0, help="also run N events, sampling the relay's RSS")
    parser.add_argument("--soak-subscribers", type=int, default=1, help="subscribers in the --soak run")
    parser.add_argument(
        "--enqueue",
        type=int,
        default=5000,
        help="enqueues per side and round of the store-alone dedup measure (0: none)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "erp"
        subprocess.run(
            [sys.executable, "-m", "asyncgen", "generate", str(ROOT / "specs" / "erp-events.asyncapi.yaml"),
             str(ROOT / "specs" / "erp-api.openapi.yaml"), "-o", str(out)],
            check=True, capture_output=True, cwd=ROOT,
        )  # fmt: skip
        (out / "bench_receivers.py").write_text(RECEIVERS)
        (out / "bench_probe.py").write_text(PROBE)
        env = {"PYTHONPATH": str(out), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        receivers = subprocess.Popen(
            [sys.executable, "bench_receivers.py", str(args.receivers)],
            cwd=out, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert receivers.stdout is not None
            ports = json.loads(receivers.stdout.readline())
            run(args, out, env, ports)
        finally:
            assert receivers.stdin is not None
            receivers.stdin.close()
            receivers.wait(timeout=30)


def probe(out: Path, env: dict[str, str], **params: object) -> dict | None:
    proc = subprocess.run(
        [sys.executable, "bench_probe.py", json.dumps(params)],
        cwd=out, capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    if proc.returncode != 0:
        print(proc.stderr[-3000:])
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(args: argparse.Namespace, out: Path, env: dict[str, str], ports: list[int]) -> None:
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    results = {}
    for subs in (int(s) for s in args.subscribers.split(",") if s):
        r = probe(out, env, subscribers=subs, ports=ports, deliveries=args.deliveries, repeat=args.repeat,
                  rate=args.rate, seconds=args.seconds)  # fmt: skip
        if r is not None:
            results[subs] = r
    print(f"\nthroughput, deliveries/s: best (median) of {args.repeat}; ratios of the medians")
    print(
        "(relay: events not remembered; +dedup: each remembered for DEDUP_WINDOW, as the broker consumer does)"
    )
    print(f"{'subs':>5} {'deliveries':>10} {'relay':>12} {'relay+dedup':>12} {'httpx loop':>12} {'raw loop':>12} "
          f"{'dedup/relay':>11} {'relay/httpx':>11} {'relay/raw':>9} {'RSS MB':>7}")  # fmt: skip
    for subs, r in results.items():
        relay, dedup, bare, raw = (r["flood"][k] for k in ("relay", "dedup", "bare", "raw"))
        print(
            f"{subs:>5} {r['deliveries']:>10} {fmt(relay):>12} {fmt(dedup):>12} {fmt(bare):>12} {fmt(raw):>12} "
            f"{statistics.median(dedup) / statistics.median(relay):>11.2f} "
            f"{statistics.median(relay) / statistics.median(bare):>11.2f} "
            f"{statistics.median(relay) / statistics.median(raw):>9.2f} {r['rss_mb']:>7.0f}"
        )
    if args.enqueue:
        r = probe(out, env, subscribers=1, ports=ports, enqueue=args.enqueue, repeat=args.repeat)
        if r is not None:
            plain, dedup, again = r["plain"], r["dedup"], r["redelivered"]
            print(
                f"\nstore alone, 1 subscription, {args.enqueue} plain and {args.enqueue} remembered enqueues"
                f" alternating, x {args.repeat} stores: median µs per enqueue, best (median) of the rounds:"
                f" plain {min(plain):.0f} ({statistics.median(plain):.0f}), remembered {min(dedup):.0f}"
                f" ({statistics.median(dedup):.0f}), ratio {statistics.median(dedup) / statistics.median(plain):.2f};"
                f" a redelivery caught: {min(again):.0f} ({statistics.median(again):.0f}) µs;"
                f" an enqueue pruning {r['prune_batch']} expired rows:"
                f" {', '.join(f'{ms:.1f}' for ms in r['prune_ms'])} ms (full batch, full batch, none left)"
            )
    print(f"\nlatency event -> arrival, ms, at {args.rate:g} deliveries/s for {args.seconds:g} s (p50 / p99)")
    print(f"{'subs':>5} {'relay':>13} {'httpx loop':>13} {'raw loop':>13} {'added p99 vs httpx':>18} "
          f"{'vs raw':>7}")  # fmt: skip
    for subs, r in results.items():
        lat = {side: r[side] for side in ("relay", "bare", "raw")}
        cells = [f"{v['p50']:.1f} / {v['p99']:.1f}" for v in lat.values()]
        print(
            f"{subs:>5} {cells[0]:>13} {cells[1]:>13} {cells[2]:>13} "
            f"{lat['relay']['p99'] - lat['bare']['p99']:>18.1f} "
            f"{lat['relay']['p99'] - lat['raw']['p99']:>7.1f}"
        )
    if args.soak:
        started = time.perf_counter()
        r = probe(out, env, subscribers=args.soak_subscribers, ports=ports, soak=args.soak)
        if r is None:
            return
        samples = [(n, mb) for n, mb in r["samples"] if n >= args.soak // 10]
        xs, ys = [n for n, _ in samples], [mb for _, mb in samples]
        mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in samples) / sum((x - mean_x) ** 2 for x in xs)
        print(
            f"soak: {args.soak} events to {args.soak_subscribers} subscriber(s) "
            f"in {time.perf_counter() - started:.0f} s "
            f"({r['per_s']:.0f} events/s, {r['arrived']} deliveries arrived); "
            f"RSS start {ys[0]:.1f} MB (after {xs[0]} events), "
            f"end {ys[-1]:.1f} MB, max {max(ys):.1f} MB, slope {slope * 100000:+.2f} MB per 100k events"
        )


if __name__ == "__main__":
    main()
