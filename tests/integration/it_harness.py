"""The integration-test harness: brokers, generated projects, service processes.

* Brokers: reached on 127.0.0.1 (``BROKER_HOST``) at the ports ``.ci/brokers.sh`` uses, overridable with
  the same variables (``BROKER_MQTT_PORT`` ...). Unreachable: ``pytest.fail`` under ``CI=true``, else skip.
* Projects: ``asyncgen generate SPEC -o DIR`` in a subprocess, once per spec per session. The
  project runs from its folder with ``PYTHONPATH=DIR`` on this interpreter: its dependencies are
  the test extras' (checked against its pyproject.toml), so no venv or install step is needed.
  Its ``handlers.py`` (the user-owned file) is replaced by a recorder (see ``it_probe.py``).
* Services: ``python -m <package>`` with ``<PKG>_BROKER_URL`` set, output to a log file; ``ready``
  awaited in the log; stopped with SIGTERM, which must end it with exit code 0.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
HERE = Path(__file__).resolve().parent
IN_CI = os.environ.get("CI") == "true"
HOST = os.environ.get("BROKER_HOST", "127.0.0.1")

READY_TIMEOUT = float(os.environ.get("IT_READY_TIMEOUT", "45"))
STOP_TIMEOUT = float(os.environ.get("IT_STOP_TIMEOUT", "20"))


def skip_or_fail(reason: str) -> None:
    """Skip with the reason on a developer's machine; fail loudly in CI."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing prerequisite is a failure, not a skip)")
    pytest.skip(reason)


# -- brokers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Broker:
    kind: str  # FastStream's name: mqtt | redis | nats | rabbit | kafka
    script_name: str  # the name .ci/brokers.sh knows it by
    port_env: str
    default_port: int
    url_format: str

    @property
    def port(self) -> int:
        return int(os.environ.get(self.port_env, self.default_port))

    @property
    def url(self) -> str:
        return self.url_format.format(host=HOST, port=self.port)

    #: False: nothing to start - the generated service is the server (WebSockets)
    external: bool = True

    def reachable(self, timeout: float = 1.0) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=timeout):
                return True
        except OSError:
            return False

    def require(self) -> None:
        if self.external and not self.reachable():
            skip_or_fail(
                f"{self.kind} broker not reachable at {HOST}:{self.port} "
                f"(start it with `bash .ci/brokers.sh start {self.script_name}`; port from ${self.port_env})"
            )


BROKERS: dict[str, Broker] = {
    b.kind: b
    for b in (
        Broker("mqtt", "mosquitto", "BROKER_MQTT_PORT", 1883, "mqtt://{host}:{port}"),
        Broker("redis", "redis", "BROKER_REDIS_PORT", 6379, "redis://{host}:{port}"),
        Broker("nats", "nats", "BROKER_NATS_PORT", 4222, "nats://{host}:{port}"),
        Broker("rabbit", "rabbitmq", "BROKER_AMQP_PORT", 5672, "amqp://guest:guest@{host}:{port}/"),
        Broker("kafka", "kafka", "BROKER_KAFKA_PORT", 9092, "{host}:{port}"),
        Broker("ws", "-", "IT_WS_PORT", free_port(), "ws://{host}:{port}", external=False),
    )
}
#: the relay's scale-out store (not a message broker; started by the same script)
POSTGRES = Broker(
    "postgres",
    "postgres",
    "BROKER_PG_PORT",
    55432,
    "postgresql://{user}:{password}@{{host}}:{{port}}/{db}".format(
        user=os.environ.get("BROKER_PG_USER", "asyncgen"),
        password=os.environ.get("BROKER_PG_PASSWORD", "asyncgen"),
        db=os.environ.get("BROKER_PG_DB", "asyncgen"),
    ),
)


# -- generated projects ------------------------------------------------------------------------


@dataclass(frozen=True)
class Project:
    spec: Path
    out: Path
    package: str
    env_prefix: str

    @property
    def records_dir(self) -> Path:
        return self.out / ".it-records"


def generator_available() -> tuple[bool, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "asyncgen", "generate", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        return (
            False,
            f"`asyncgen generate` is not available yet: {(proc.stderr or proc.stdout).strip()[-300:]}",
        )
    return True, ""


def find_package(out: Path) -> str:
    candidates = sorted(
        p.parent.name
        for p in out.glob("*/__main__.py")
        if p.parent.name not in {"tests"} and not p.parent.name.startswith(".")
    )
    if len(candidates) != 1:
        raise AssertionError(f"expected one package with __main__.py in {out}, found {candidates}")
    return candidates[0]


def env_prefix_of(out: Path, package: str) -> str:
    text = (out / package / "settings.py").read_text(encoding="utf-8")
    m = re.search(r"env_prefix\s*=\s*(['\"])(.*?)\1", text)
    return m.group(2) if m else package.upper() + "_"


def unmet_dependencies(out: Path) -> list[str]:
    """Requirements of the generated pyproject.toml that this interpreter does not satisfy."""
    pyproject = out / "pyproject.toml"
    if not pyproject.is_file():
        return ["pyproject.toml missing"]
    deps = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {}).get("dependencies", [])
    unmet = []
    for line in deps:
        req = Requirement(line)
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            unmet.append(f"{line} (not installed)")
            continue
        if req.specifier and not req.specifier.contains(version, prereleases=True):
            unmet.append(f"{line} (installed: {version})")
    return unmet


def install_probe(out: Path, package: str) -> None:
    """Replace the user-owned handlers.py by the recorder; add the probe module."""
    shutil.copyfile(HERE / "it_probe.py", out / package / "_it_probe.py")
    if (out / package / "handlers_generated.py").is_file():
        from it_probe import HANDLERS_PY

        (out / package / "handlers.py").write_text(HANDLERS_PY, encoding="utf-8")


def generate(spec: Path, out: Path) -> Project:
    proc = subprocess.run(
        [sys.executable, "-m", "asyncgen", "generate", str(spec), "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(
            f"asyncgen generate {spec.name} exited {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\n"
            f"stderr:\n{proc.stderr[-3000:]}"
        )
    package = find_package(out)
    unmet = unmet_dependencies(out)
    if unmet:
        skip_or_fail(f"the project generated from {spec.name} needs packages this environment lacks: {unmet}")
    install_probe(out, package)
    return Project(spec, out, package, env_prefix_of(out, package))


# -- service processes --------------------------------------------------------------------------


def project_env(project: Project, broker: Broker, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(project.env_prefix)}
    env["PYTHONPATH"] = os.pathsep.join([str(project.out), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["PYTHONUNBUFFERED"] = "1"
    env[f"{project.env_prefix}BROKER_URL"] = broker.url
    env[f"{project.env_prefix}LOG_LEVEL"] = "INFO"
    env.update(extra)
    return env


@dataclass
class Service:
    project: Project
    broker: Broker
    name: str
    extra_env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)
    records_path: Path = field(init=False)
    ready_after: float = 0.0

    def __post_init__(self) -> None:
        self.project.records_dir.mkdir(exist_ok=True)
        self.log_path = self.project.records_dir / f"{self.name}.log"
        self.records_path = self.project.records_dir / f"{self.name}.jsonl"

    def start(self) -> Service:
        self.records_path.write_text("", encoding="utf-8")
        env = project_env(
            self.project,
            self.broker,
            IT_RECORD_FILE=str(self.records_path),
            **{f"{self.project.env_prefix}CLIENT_ID": f"it-{self.name}-{uuid.uuid4().hex[:8]}"},
            **self.extra_env,
        )
        t0 = time.monotonic()
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", self.project.package],
                cwd=self.project.out,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = t0 + READY_TIMEOUT
        while time.monotonic() < deadline:
            if re.search(r"\bready\b", self.log()):
                self.ready_after = time.monotonic() - t0
                return self
            if self.proc.poll() is not None:
                pytest.fail(
                    f"`python -m {self.project.package}` exited {self.proc.returncode} before `ready`:\n"
                    + self.tail()
                )
            time.sleep(0.05)
        self.kill()
        hint = (
            "\n(Tansu keeps consumer-group state while it runs: a group left by earlier runs can keep"
            " rebalancing; `bash .ci/brokers.sh stop kafka && bash .ci/brokers.sh start kafka` resets it.)"
            if self.broker.kind == "kafka"
            else ""
        )
        pytest.fail(
            f"`python -m {self.project.package}` logged no `ready` line in {READY_TIMEOUT}s:\n"
            + self.tail()
            + hint
        )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def tail(self, n: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-n:])

    def records(self) -> list[dict[str, Any]]:
        if not self.records_path.exists():
            return []
        return [
            json.loads(line)
            for line in self.records_path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]

    def stop(self, timeout: float = STOP_TIMEOUT) -> tuple[int, float]:
        """SIGTERM; the exit code and how long the process took to exit."""
        assert self.proc is not None
        t0 = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                pytest.fail(
                    f"`python -m {self.project.package}` still running {timeout}s after SIGTERM:\n"
                    + self.tail()
                )
        return self.proc.returncode, time.monotonic() - t0

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def send_with_producer(
    project: Project,
    broker: Broker,
    operation: str,
    payload: Any,
    params: dict[str, Any],
    *,
    headers: dict[str, Any] | None = None,
) -> str:
    """Run the generated producer of ``operation`` in its own process (see it_probe.py)."""
    env = project_env(
        project, broker, **{f"{project.env_prefix}CLIENT_ID": f"it-producer-{uuid.uuid4().hex[:8]}"}
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            f"{project.package}._it_probe",
            "send",
            operation,
            json.dumps(payload),
            json.dumps(params),
            *([json.dumps(headers)] if headers else []),
        ],
        cwd=project.out,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(
            f"producer for {operation} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n"
            + proc.stderr[-4000:]
        )
    return proc.stdout


# -- waiting -------------------------------------------------------------------------------------


def wait_for(predicate: Callable[[], Any], timeout: float, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return value
        time.sleep(interval)


def fill(template: Any, values: dict[str, str]) -> Any:
    """``{uid}``/``{num}`` placeholders in strings of a JSON-like value, replaced."""
    if isinstance(template, str):
        return re.sub(r"{(uid|num)}", lambda m: values[m.group(1)], template)
    if isinstance(template, dict):
        return {k: fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, values) for v in template]
    return template


def unique_values() -> dict[str, str]:
    u = uuid.uuid4()
    return {"uid": u.hex[:12], "num": str(u.int % 10**9)}


def address_of(template: str, params: dict[str, str]) -> str:
    return re.sub(r"{([^{}]+)}", lambda m: params[m.group(1)], template)


def iter_lines(path: Path) -> Iterator[str]:
    yield from path.read_text(encoding="utf-8").splitlines()
