"""The generated API's null check: cost per request for bodies without null, with and without it.

    python bench/api_nulls.py [--requests 3000] [--rounds 5]

Generates the ERP pair (specs/erp-*.yaml) into a temporary folder and drives its FastAPI app
in-process (a bare ASGI call, no HTTP client) with ``POST /orders``. Each round times the same
requests once with the generated ``api._refuse_null`` and once with it replaced by a no-op (the
baseline, same process, same run, interleaved). Bodies: a typical order without any ``null``;
one whose text holds ``"null"`` inside a string (the byte test finds it, the key scan does not
match); and a refused null (422, the error path). Also the check alone (``nulls.refused_null``)
on the null-free body. Prints µs per request best (median) and the ratio; no assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import REPO, best_median

ORDER = {
    "customerId": "C-000042",
    "lines": [{"sku": f"PUMP-{200 + i}", "quantity": 2} for i in range(5)],
    "shippingAddress": {"line1": "1 Main St", "city": "Springfield", "postalCode": "12345", "country": "US"},
    "customerReference": "PO-7781",
}
BODIES = {
    "no null": ORDER,
    '"null" in a string': {**ORDER, "customerReference": "null and void"},
    "refused null (422)": {**ORDER, "customerReference": None},
}


async def call(app: Any, body: bytes) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/orders",
        "raw_path": b"/orders",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"idempotency-key", b"order-0001")],
        "server": ("api", 80),
        "client": ("127.0.0.1", 1),
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def timed(app: Any, body: bytes, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        await call(app, body)
    return (time.perf_counter() - t0) / n * 1e6


async def main(requests: int, rounds: int, out: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "asyncgen", "generate", "specs/erp-events.asyncapi.yaml",
         "specs/erp-api.openapi.yaml", "-o", str(out)],
        cwd=REPO, check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    sys.path.insert(0, str(out))
    api = importlib.import_module("erp_events.api")
    nulls = importlib.import_module("erp_events.nulls")
    models = importlib.import_module("erp_events.models")
    settings = importlib.import_module("erp_events.http_settings").HttpSettings(
        auth="none", store_url=f"sqlite:///{out}/api.db"
    )
    app = api.create_app(settings)
    checked = api._refuse_null

    async def nothing(request: Any, body: Any) -> None:
        return None

    print(f"POST /orders, {requests} requests x {rounds} rounds; µs/request best (median)")
    for name, value in BODIES.items():
        body = json.dumps(value).encode()
        api._refuse_null = checked
        expected = await call(app, body)
        with_check: list[float] = []
        without: list[float] = []
        await timed(app, body, 200)  # warm up
        for _ in range(rounds):
            api._refuse_null = checked
            with_check.append(await timed(app, body, requests))
            api._refuse_null = nothing
            without.append(await timed(app, body, requests))
        api._refuse_null = checked
        (a, a_median), (b, b_median) = best_median(with_check), best_median(without)
        print(
            f"  {name:<20} status {expected}  with check {a:7.1f} ({a_median:7.1f})"
            f"  without {b:7.1f} ({b_median:7.1f})  ratio {a / b:.3f} (medians {a_median / b_median:.3f})"
        )
    raw = json.dumps(ORDER).encode()
    order = models.NewOrder.model_validate(ORDER)
    n = 200_000
    t0 = time.perf_counter()
    for _ in range(n):
        nulls.refused_null(order, raw)
    alone = (time.perf_counter() - t0) / n * 1e9
    print(f"  nulls.refused_null alone on the null-free body: {alone:.0f} ns")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="bench-api-nulls-"))
    try:
        asyncio.run(main(args.requests, args.rounds, out))
    finally:
        shutil.rmtree(out, ignore_errors=True)
