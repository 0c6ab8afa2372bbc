"""``.ci/brokers.sh`` itself: start, status, idempotence, stop, nothing left running, stale PIDs.

Uses the three brokers that start in milliseconds (mosquitto, redis, nats) on free ports and a run
directory of its own, so it never touches brokers another run started.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from it_harness import ROOT, free_port, skip_or_fail

pytestmark = pytest.mark.integration

SCRIPT = ROOT / ".ci" / "brokers.sh"
FAST = ("mosquitto", "redis", "nats")
BINARIES = ("mosquitto", "mosquitto_pub", "redis-server", "redis-cli", "nats-server", "curl")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    missing = [b for b in BINARIES if shutil.which(b) is None]
    if missing:
        skip_or_fail(f"broker binaries missing: {missing} (bash .ci/brokers.sh install)")
    return {
        **os.environ,
        "BROKER_RUN_DIR": str(tmp_path / "run"),
        "BROKER_MQTT_PORT": str(free_port()),
        "BROKER_REDIS_PORT": str(free_port()),
        "BROKER_NATS_PORT": str(free_port()),
        "BROKER_NATS_HTTP_PORT": str(free_port()),
    }


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def pids(env: dict[str, str]) -> dict[str, int]:
    run_dir = Path(env["BROKER_RUN_DIR"])
    return {
        name: int((run_dir / f"{name}.pid").read_text())
        for name in FAST
        if (run_dir / f"{name}.pid").exists()
    }


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return stat != "Z"  # PID 1 may reap slowly: a zombie is dead


def test_start_status_stop_leaves_nothing_running(env: dict[str, str]) -> None:
    t0 = time.monotonic()
    started = run(env, "start", *FAST)
    took = time.monotonic() - t0
    assert started.returncode == 0, started.stdout + started.stderr
    for name in FAST:
        assert f"{name} ready on 127.0.0.1:" in started.stdout
    running = pids(env)
    assert set(running) == set(FAST) and all(alive(p) for p in running.values())
    print(f"\nstart {', '.join(FAST)}: {took:.2f}s")

    assert run(env, "status", *FAST).returncode == 0
    again = run(env, "start", *FAST)  # idempotent: no second copy
    assert again.returncode == 0 and again.stdout.count("already running") == len(FAST), again.stdout
    assert pids(env) == running

    stopped = run(env, "stop", *FAST)
    assert stopped.returncode == 0, stopped.stderr
    deadline = time.monotonic() + 5
    while any(alive(p) for p in running.values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [n for n, p in running.items() if alive(p)], "broker processes survived stop"
    assert run(env, "status", *FAST).returncode == 1
    assert run(env, "stop", *FAST).returncode == 0  # stopping stopped brokers is fine


def test_stop_never_signals_a_reused_pid(env: dict[str, str]) -> None:
    """A stale PID file whose PID now belongs to another program: that program is left alone."""
    run_dir = Path(env["BROKER_RUN_DIR"])
    run_dir.mkdir(parents=True)
    other = subprocess.Popen(["sleep", "60"])
    try:
        (run_dir / "mosquitto.pid").write_text(str(other.pid))
        assert run(env, "stop", "mosquitto").returncode == 0
        time.sleep(0.2)
        assert other.poll() is None, "brokers.sh stop killed a process it did not start"
    finally:
        other.send_signal(signal.SIGKILL)
        other.wait()


def test_unknown_broker_and_taken_port_are_clear_errors(env: dict[str, str]) -> None:
    bad = run(env, "start", "zookeeper")
    assert bad.returncode != 0 and "unknown broker 'zookeeper'" in bad.stderr
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(env["BROKER_REDIS_PORT"])))
        s.listen()
        taken = run(env, "start", "redis")
    assert taken.returncode != 0 and "BROKER_REDIS_PORT" in taken.stderr, taken.stderr


def test_postgres_throwaway_cluster(env: dict[str, str]) -> None:
    """initdb into a fresh temp dir, pg_ctl start on the given port, a role that logs in; stop drops all."""
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")) and shutil.which("pg_ctl") is None:
        skip_or_fail("PostgreSQL not installed (bash .ci/brokers.sh install)")
    port = free_port()
    env = {**env, "BROKER_PG_PORT": str(port), "BROKER_PG_USER": "it_user", "BROKER_PG_DB": "it_db"}
    started = run(env, "start", "postgres")
    assert started.returncode == 0, started.stdout + started.stderr
    assert f"postgres ready on 127.0.0.1:{port}" in started.stdout
    run_dir = Path(env["BROKER_RUN_DIR"])
    pid = int((run_dir / "postgres.pid").read_text())
    data = Path((run_dir / "postgres.datadir").read_text().strip())
    try:
        assert alive(pid) and data.is_dir()
        assert run(env, "status", "postgres").returncode == 0
        again = run(env, "start", "postgres")
        assert again.returncode == 0 and "already running" in again.stdout
        import asyncio

        asyncpg = pytest.importorskip("asyncpg")

        async def who() -> tuple[str, str]:
            con = await asyncpg.connect(f"postgresql://it_user:asyncgen@127.0.0.1:{port}/it_db")
            try:
                row = await con.fetchrow("SELECT current_user, current_database()")
                return str(row[0]), str(row[1])
            finally:
                await con.close()

        assert asyncio.run(who()) == ("it_user", "it_db")
    finally:
        stopped = run(env, "stop", "postgres")
    assert stopped.returncode == 0, stopped.stderr
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid), "postgres survived stop"
    assert not data.exists(), "stop leaves no cluster behind"
    assert run(env, "status", "postgres").returncode == 1
