"""An application that receives from an AMQP queue named at run time: the RPC client's reply queue.

RabbitMQ's RPC pattern: the client sends a request with a correlation id and ``reply_to`` = an
exclusive queue the broker named (``amq.gen-...``); the spec says so with a parameterised
``is: queue`` channel (``{queue}``, ``exclusive: true``) the client receives from. That queue gets
no subscriber: it becomes the reply queue of the send operations whose messages carry a
correlation id (``request_...()``, see ``runtime.ReplyQueue``). The corpus' rpc-client specs are
generated and checked by ``test_corpus_generate.py``; the live round trip against a generated
rpc-server is ``tests/integration/test_rpc_reply_queue.py``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

pytest.importorskip("faststream")

from test_service_brokers import check_project, generate_project

from asyncgen.errors import GenerationError

REPLIES = """
  replies:
    address: '{queue}'
    parameters:
      queue: {}
    bindings:
      amqp: {is: queue, queue: {exclusive: true}}
    messages:
      result:
        correlationId: {location: '$message.header#/correlation_id'}
        payload: {type: object, properties: {total: {type: number, examples: [7]}}}
"""

CLIENT = f"""
asyncapi: 3.0.0
info: {{title: Calc Client, version: 1.0.0}}
servers:
  dev: {{host: localhost, protocol: amqp}}
channels:
{REPLIES}
  sums:
    address: rpc_sum
    bindings:
      amqp: {{is: queue, queue: {{durable: false}}}}
    messages:
      sum:
        correlationId: {{location: '$message.header#/correlation_id'}}
        payload:
          type: object
          properties: {{numbers: {{type: array, items: {{type: number}}, examples: [[4, 3]]}}}}
  products:
    address: rpc_product
    messages:
      product:
        correlationId: {{location: '$message.header#/correlation_id'}}
        payload:
          type: object
          required: [numbers]
          properties: {{numbers: {{type: array, items: {{type: number}}}}}}
  audit:
    address: audit
    messages:
      audited: {{payload: {{type: object, properties: {{what: {{type: string}}}}}}}}
  commands:
    address: commands
    messages:
      command: {{payload: {{type: object, properties: {{verb: {{type: string}}}}}}}}
operations:
  receiveResult:
    action: receive
    channel: {{$ref: '#/channels/replies'}}
  requestSum:
    action: send
    channel: {{$ref: '#/channels/sums'}}
  requestProduct:
    action: send
    channel: {{$ref: '#/channels/products'}}
  publishAudit:
    action: send
    channel: {{$ref: '#/channels/audit'}}
  onCommand:
    action: receive
    channel: {{$ref: '#/channels/commands'}}
"""


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("rpc-client")
    return out, generate_project(CLIENT, out)


def test_correlated_sends_become_requests_on_the_reply_queue(client: tuple[Path, str]) -> None:
    out, package = client
    producers = (out / package / "producers.py").read_text()
    for function in ("request_sum", "request_product"):
        head = producers.split(f"async def {function}(", 1)[1].split("\nasync def ", 1)[0]
        assert ") -> ResultPayload:" in head, head  # the reply queue's message, typed
        assert "runtime.REPLY_QUEUE.request(" in head and "reply_to=reply_to" in head, head
        assert "broker.request(" not in head  # not FastStream's direct reply-to
    audit = producers.split("async def publish_audit(", 1)[1]
    assert ") -> None:" in audit.split("\n\n", 1)[0]  # no correlation id: a plain publish
    runtime = (out / package / "runtime.py").read_text()
    assert "REPLY_QUEUE = ReplyQueue('receiveResult', 'correlation_id')" in runtime.replace('"', "'")
    consumers = (out / package / "consumers.py").read_text()
    assert "'commands'" in consumers.replace('"', "'")
    assert "{queue}" not in consumers and "receive_result" not in consumers  # no subscriber, no handler
    assert "on_receive_result" not in (out / package / "handlers.py").read_text()
    readme = (out / "README.md").read_text()
    assert "`receiveResult` (receive) on `{queue}`: the replies to `producers.request_sum()`, " in readme
    assert "`producers.request_product()`" in readme and "TimeoutError" in readme


def test_client_project_passes_ruff_mypy_and_its_tests(client: tuple[Path, str]) -> None:
    out, package = client
    assert (out / "tests" / "test_reply_queue.py").is_file()
    check_project(out, package)


def test_the_client_role_of_an_rpc_server_gets_the_reply_queue(tmp_path: Path) -> None:
    server = textwrap.dedent(
        """\
        asyncapi: 3.0.0
        info: {title: Calc Server, version: 1.0.0}
        servers:
          dev: {host: localhost, protocol: amqp}
        channels:
          replies:
            address: '{queue}'
            parameters: {queue: {}}
            bindings: {amqp: {is: queue, queue: {exclusive: true}}}
            messages:
              result:
                correlationId: {location: '$message.header#/correlation_id'}
                payload: {type: object, properties: {total: {type: number}}}
          sums:
            address: rpc_sum
            bindings: {amqp: {is: queue}}
            messages:
              sum:
                correlationId: {location: '$message.header#/correlation_id'}
                payload: {type: object, properties: {numbers: {type: array, items: {type: number}}}}
        operations:
          sendResult: {action: send, channel: {$ref: '#/channels/replies'}}
          sum: {action: receive, channel: {$ref: '#/channels/sums'}}
        """
    )
    app = generate_project(server, tmp_path / "app")  # the server: publishes to the queue named by reply_to
    assert "async def publish_send_result(" in (tmp_path / "app" / app / "producers.py").read_text()
    package = generate_project(server, tmp_path / "client", role="client")
    producers = (tmp_path / "client" / package / "producers.py").read_text()
    assert "async def request_sum(" in producers and "runtime.REPLY_QUEUE.request(" in producers
    assert not (tmp_path / "client" / package / "consumers.py").exists()


def _spec(extra_channels: str, operations: str) -> str:
    return (
        "asyncapi: 3.0.0\ninfo: {title: X, version: 1.0.0}\n"
        "servers:\n  dev: {host: localhost, protocol: amqp}\n"
        f"channels:\n{REPLIES}{extra_channels}operations:\n{operations}"
    )


def test_refused_without_a_correlated_send(tmp_path: Path) -> None:
    spec = _spec(
        "  out:\n    address: out\n    messages:\n      m: {payload: {type: object}}\n",
        "  receiveResult: {action: receive, channel: {$ref: '#/channels/replies'}}\n"
        "  publishOut: {action: send, channel: {$ref: '#/channels/out'}}\n",
    )
    with pytest.raises(GenerationError) as err:
        generate_project(spec, tmp_path / "x")
    text = str(err.value)
    assert "operation 'receiveResult'" in text and "whose name is only known at run time" in text
    assert "no send operation's message has a correlationId" in text
    assert "fixed queue name or an exchange binding" in text
    assert not (tmp_path / "x").exists()


def test_refused_with_two_queues_named_at_run_time(tmp_path: Path) -> None:
    second = REPLIES.replace("  replies:", "  replies2:").replace("'{queue}'", "'{other}'")
    second = second.replace("queue: {}", "other: {}")
    spec = _spec(
        second,
        "  receiveResult: {action: receive, channel: {$ref: '#/channels/replies'}}\n"
        "  receiveOther: {action: receive, channel: {$ref: '#/channels/replies2'}}\n",
    )
    with pytest.raises(GenerationError, match="cannot tell which replies go to which"):
        generate_project(spec, tmp_path / "x")
