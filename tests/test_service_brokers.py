"""The service template set, end to end, per transport.

For each broker (Kafka, AMQP, MQTT, NATS, Redis, WebSockets) an inline AsyncAPI 3.0
spec with a parameterised receive, a oneOf receive (dispatch), two receive operations
on one channel (one subscriber tries each), a send with headers and a correlation id,
and a request/reply receive is generated into a temporary folder;
the project must pass ``ruff check``, ``mypy --strict`` on its package and its own
generated tests (run in a subprocess on FastStream's in-memory test broker). The
client role (the mirror) is generated for Kafka and MQTT too.

One project per broker per module (module-scoped fixtures): generating + mypy is the
slow part on a 2-core machine.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from project_support import run

pytest.importorskip("faststream")

from asyncgen.generate import generate_from_api
from asyncgen.load import load_data
from asyncgen.parse import parse

SEPARATOR = {"kafka": ".", "amqp": ".", "mqtt": "/", "nats": ".", "redis": ".", "ws": "/"}


def spec_yaml(protocol: str) -> str:
    """A small 3.0 spec exercising every feature of the consumers and producers."""
    sep = SEPARATOR[protocol]

    def addr(*parts: str) -> str:
        return sep.join(parts)

    return textwrap.dedent(
        f"""\
        asyncapi: 3.0.0
        info:
          title: Lights {protocol}
          version: 1.0.0
        servers:
          dev:
            host: localhost
            protocol: {protocol}
        channels:
          measured:
            address: {addr("lights", "{zone}", "{lightId}", "measured")}
            parameters:
              zone:
                enum: [north, south]
              lightId:
                description: Light id.
            messages:
              lightMeasured:
                $ref: '#/components/messages/lightMeasured'
          events:
            address: {addr("lights", "events")}
            messages:
              alarm:
                $ref: '#/components/messages/alarm'
              status:
                $ref: '#/components/messages/status'
          ping:
            address: {addr("svc", "ping")}
            messages:
              ping:
                $ref: '#/components/messages/ping'
          commands:
            address: {addr("svc", "commands")}
            messages:
              start:
                payload: {{type: object, required: [kind], properties: {{kind: {{const: start}}}}}}
              stop:
                payload: {{type: object, required: [kind], properties: {{kind: {{const: stop}}}}}}
          pong:
            address: {addr("svc", "pong")}
            messages:
              pong:
                $ref: '#/components/messages/pong'
        operations:
          receiveMeasurement:
            action: receive
            channel: {{$ref: '#/channels/measured'}}
            bindings:
              kafka:
                groupId: {{type: string, enum: [light-readers]}}
              nats:
                queue: readers
              mqtt:
                qos: 1
          publishMeasurement:
            action: send
            channel: {{$ref: '#/channels/measured'}}
          onEvent:
            action: receive
            channel: {{$ref: '#/channels/events'}}
          sendEvent:
            action: send
            channel: {{$ref: '#/channels/events'}}
            bindings:
              mqtt:
                qos: 2
                retain: true
          onStart:
            action: receive
            channel: {{$ref: '#/channels/commands'}}
            messages: [{{$ref: '#/channels/commands/messages/start'}}]
          onStop:
            action: receive
            channel: {{$ref: '#/channels/commands'}}
            messages: [{{$ref: '#/channels/commands/messages/stop'}}]
          answerPing:
            action: receive
            channel: {{$ref: '#/channels/ping'}}
            reply:
              channel: {{$ref: '#/channels/pong'}}
        components:
          messages:
            lightMeasured:
              headers:
                type: object
                required: [traceId]
                properties:
                  traceId: {{type: string}}
                  correlationId: {{type: string}}
              correlationId:
                location: $message.header#/correlationId
              payload:
                type: object
                required: [lumens]
                properties:
                  lumens: {{type: integer, minimum: 0}}
                  sentAt: {{type: string, format: date-time}}
            alarm:
              payload:
                type: object
                additionalProperties: false
                required: [kind, level]
                properties:
                  kind: {{const: alarm}}
                  level: {{type: string, enum: [low, high]}}
            status:
              payload:
                type: object
                additionalProperties: false
                required: [kind, ok]
                properties:
                  kind: {{const: status}}
                  ok: {{type: boolean}}
              examples:
                - payload: {{kind: status, ok: false}}
            ping:
              payload:
                type: object
                required: [text]
                properties:
                  text: {{type: string}}
            pong:
              payload:
                type: object
                required: [text]
                properties:
                  text: {{type: string}}
                  count: {{type: integer}}
              examples:
                - payload: {{text: pong, count: 2}}
        """
    )


def generate_project(text: str, out: Path, *, role: str = "app", params: dict[str, Any] | None = None) -> str:
    import yaml

    api = parse(load_data(yaml.safe_load(text), "inline.yaml"))
    generate_from_api(api, out, role=role, params=params or {})
    return api.package


def check_project(out: Path, package: str) -> None:
    """ruff, mypy --strict and the project's own tests; fails with their output."""
    ruff = run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], out)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy = run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir=/dev/null", package], out
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    tests = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs"], out)
    assert tests.returncode == 0, tests.stdout[-6000:] + tests.stderr[-3000:]
    assert " passed" in tests.stdout


@pytest.fixture(scope="module", params=["kafka", "amqp", "mqtt", "nats", "redis", "ws"])
def project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str, str]:
    protocol: str = request.param
    out = tmp_path_factory.mktemp(f"svc-{protocol}")
    package = generate_project(spec_yaml(protocol), out)
    return out, package, protocol


def test_generated_project_passes_ruff_mypy_and_its_tests(project: tuple[Path, str, str]) -> None:
    out, package, _ = project
    check_project(out, package)


#: runs in the generated project: every way a model instance can break the schema after (or
#: without) validation is refused by the encoder the producers use, and a valid one is sent as is
ENCODE_GUARD = """
import importlib, json, sys
pkg = sys.argv[1]
models = importlib.import_module(pkg + ".models")
runtime = importlib.import_module(pkg + ".runtime")
fields = {c: set(getattr(c, "model_fields", {})) for c in vars(models).values() if isinstance(c, type)}
Measured = next(c for c, f in fields.items() if "lumens" in f)
Pair = next(c for c, f in fields.items() if {"text", "count"} <= f)

def refused(make):
    try:
        runtime.encode_any(make())
    except ValueError:
        return True
    return False

def mutated(model, name, value):
    setattr(model, name, value)
    return model

ok = Measured.model_validate({"lumens": 3})
assert json.loads(runtime.encode_any(ok)) == {"lumens": 3}, runtime.encode_any(ok)
assert refused(lambda: Measured.model_construct()), "model_construct without a required field"
assert refused(lambda: mutated(Measured.model_validate(ok.model_dump()), "lumens", -1)), "minimum broken"
assert refused(lambda: mutated(Measured.model_validate(ok.model_dump()), "lumens", "3")), "a str in an int"
assert refused(lambda: Pair.model_construct(text="x", count=1.5)), "a float in an integer field"
print("ok")
"""


def test_a_payload_that_breaks_the_schema_never_leaves(project: tuple[Path, str, str]) -> None:
    """The producers' encoder validates the JSON it sends, however the instance was built or changed."""
    out, package, protocol = project
    if protocol != "kafka":
        pytest.skip("runtime.encode_any is the same code on every transport: checked once (Kafka)")
    proc = run([sys.executable, "-c", ENCODE_GUARD, package], out)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stdout + proc.stderr


def test_layout_and_ownership(project: tuple[Path, str, str]) -> None:
    out, package, _ = project
    transport = "transport.py" if project[2] == "ws" else "broker.py"
    for name in (
        transport,
        "models.py",
        "channels.py",
        "producers.py",
        "consumers.py",
        "handlers.py",
        "handlers_generated.py",
        "settings.py",
        "app.py",
        "__main__.py",
    ):
        assert (out / package / name).is_file(), name
    readme = (out / "README.md").read_text()
    assert f"{package.upper()}_BROKER_URL" in readme
    assert "python -m " + package in readme


def test_bindings_are_honoured(project: tuple[Path, str, str]) -> None:
    out, package, protocol = project
    consumers = (out / package / "consumers.py").read_text()
    producers = (out / package / "producers.py").read_text()
    if protocol == "kafka":
        assert 'group_id="light-readers"' in consumers
        assert "AckPolicy.NACK_ON_ERROR" in consumers
        assert "pattern=" in consumers  # parameterised topic
    elif protocol == "mqtt":
        assert "qos=QoS(2)" in producers and "retain=True" in producers
        assert "qos=QoS(1)" in consumers
    elif protocol == "nats":
        assert 'queue="readers"' in consumers
    elif protocol == "amqp":
        assert "x-dead-letter-routing-key" in consumers
        assert "AckPolicy.REJECT_ON_ERROR" in consumers
        assert "amq.topic" in consumers  # parameterised routing key
    elif protocol == "ws":
        assert "@transport.subscriber(" in consumers


@pytest.mark.parametrize("protocol", ["kafka", "mqtt", "ws"])
def test_client_role_mirrors_the_app(protocol: str, tmp_path: Path) -> None:
    package = generate_project(spec_yaml(protocol), tmp_path, role="client")
    producers = (tmp_path / package / "producers.py").read_text()
    consumers = (tmp_path / package / "consumers.py").read_text()
    # the app receives answerPing with a reply: the client requests it (WebSockets: sends it)
    verb = "publish" if protocol == "ws" else "request"
    assert f"async def {verb}_answer_ping(" in producers
    assert "async def publish_receive_measurement(" in producers
    assert "async def consume_publish_measurement(" in consumers
    check_project(tmp_path, package)
