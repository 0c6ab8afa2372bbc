"""The evented-API generation (issue 4): an AsyncAPI document + its OpenAPI companion.

Generates the bundled ERP example, runs the generated project's own tests (relay,
subscription API, SSRF guard, signatures checked by ``standardwebhooks``) in a
subprocess, and checks the package with ruff and ``mypy --strict``. Also the linking
rules (``x-asyncgen-channel``, same payload, clear errors) on small inline specs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from asyncgen.cli import main
from asyncgen.errors import AsyncgenError
from asyncgen.generate import generate
from tests.conftest import require_postgres

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "specs" / "erp-events.asyncapi.yaml"
API = ROOT / "specs" / "erp-api.openapi.yaml"
RELAY_FILES = (
    "api.py",
    "relay.py",
    "store.py",
    "store_postgres.py",
    "ssrf.py",
    "signing.py",
    "metrics.py",
    "serve.py",
)


@pytest.fixture(scope="module")
def erp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("erp") / "out"
    result = CliRunner().invoke(main, ["generate", str(EVENTS), str(API), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_the_pair_generates_the_http_side(erp: Path) -> None:
    for name in (*RELAY_FILES, "http_handlers.py", "consumers.py", "producers.py"):
        assert (erp / "erp_events" / name).is_file(), name
    assert (erp / "tests" / "test_relay.py").is_file()
    assert (erp / "spec" / "erp-api.openapi.yaml").is_file()
    pyproject = (erp / "pyproject.toml").read_text()
    for dep in ("fastapi", "uvicorn", "certifi", "httpx", "standardwebhooks"):
        assert dep in pyproject
    assert "aiosqlite" not in pyproject  # the store uses the standard library's sqlite3 in a worker thread
    assert 'postgres = ["asyncpg>=' in pyproject  # the extra the PostgreSQL store's error message names
    relay = (erp / "erp_events" / "relay.py").read_text()
    assert "AckPolicy.NACK_ON_ERROR" in relay and "ACK_FIRST" not in relay
    for topic in (
        "erp.customer.changed",
        "erp.order.created",
        "erp.order.status-changed",
        "erp.invoice.issued",
    ):
        assert f'"{topic}"' in relay
    assert "payments.payment.received" not in relay  # received by the service, not an event it publishes
    main_py = (erp / "erp_events" / "__main__.py").read_text()
    assert '"consumers", "relay", "api"' in main_py


def test_asyncapi_alone_has_no_http_side(tmp_path: Path) -> None:
    generate(EVENTS, tmp_path / "out")
    assert not (tmp_path / "out" / "erp_events" / "relay.py").exists()
    assert not (tmp_path / "out" / "erp_events" / "api.py").exists()


def test_relay_off(tmp_path: Path) -> None:
    generate(EVENTS, tmp_path / "out", companions=(API,), params={"relay": "off"})
    package = tmp_path / "out" / "erp_events"
    assert not (package / "relay.py").exists()
    assert (package / "api.py").exists()  # the REST operations are still served


def _generated_pytest(erp: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TEST_POSTGRES_URL"} | extra_env
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", *args],
        cwd=erp,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )


def test_generated_tests_pass(erp: Path) -> None:
    """The generated tests on SQLite (their PostgreSQL variants run in the next test)."""
    proc = _generated_pytest(erp, "-k", "not postgres")
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "test_relay.py" in proc.stdout or " passed" in proc.stdout


def test_generated_store_contract_passes_on_postgres(erp: Path) -> None:
    """The same relay, API and store tests on the PostgreSQL store (one schema per test), none skipped."""
    proc = _generated_pytest(erp, "-k", "postgres", TEST_POSTGRES_URL=require_postgres())
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "skipped" not in proc.stdout, proc.stdout[-3000:]
    passed = int(proc.stdout.strip().splitlines()[-1].split(" passed")[0].split()[-1])
    assert passed >= 15, proc.stdout[-2000:]


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_generated_package_is_ruff_clean(erp: Path) -> None:
    proc = subprocess.run(["ruff", "check", "."], cwd=erp, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_generated_package_is_mypy_strict_clean(erp: Path) -> None:
    pytest.importorskip("mypy")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "erp_events"],
        cwd=erp,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


# -- linking callbacks to channels ---------------------------------------------------------------

ASYNCAPI = {
    "asyncapi": "3.0.0",
    "info": {"title": "Shop Events", "version": "1.0.0"},
    "servers": {"local": {"host": "localhost:9092", "protocol": "kafka"}},
    "channels": {
        "orders": {
            "address": "shop.orders",
            "messages": {"OrderPlaced": {"$ref": "#/components/messages/OrderPlaced"}},
        },
        "audit": {
            "address": "shop.audit",
            "messages": {"AuditOrder": {"$ref": "#/components/messages/AuditOrder"}},
        },
    },
    "operations": {
        "sendOrder": {"action": "send", "channel": {"$ref": "#/channels/orders"}},
        "sendAudit": {"action": "send", "channel": {"$ref": "#/channels/audit"}},
    },
    "components": {
        "schemas": {
            "Order": {"type": "object", "properties": {"id": {"type": "string"}}},
            "Audit": {"type": "object", "properties": {"who": {"type": "string"}}},
        },
        "messages": {
            "OrderPlaced": {"name": "OrderPlaced", "payload": {"$ref": "#/components/schemas/Order"}},
            "AuditOrder": {"name": "AuditOrder", "payload": {"$ref": "#/components/schemas/Audit"}},
        },
    },
}


def openapi(callback_op: dict[str, object], order_schema: object = None) -> dict[str, object]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Shop API", "version": "1.0.0"},
        "paths": {
            "/subscriptions": {
                "post": {
                    "operationId": "createSubscription",
                    "requestBody": {
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "responses": {"201": {"description": "ok"}},
                    "callbacks": {"orders": {"{$request.body#/url}": {"post": callback_op}}},
                }
            }
        },
        "components": {
            "schemas": {"Order": order_schema or {"type": "object", "properties": {"id": {"type": "string"}}}}
        },
    }


def callback(schema_ref: str = "#/components/schemas/Order", **extra: object) -> dict[str, object]:
    return {
        "operationId": "deliverOrder",
        "requestBody": {"content": {"application/json": {"schema": {"$ref": schema_ref}}}},
        "responses": {"200": {"description": "ok"}},
        **extra,
    }


def write_pair(tmp_path: Path, api_doc: dict[str, object]) -> tuple[Path, Path]:
    events, api = tmp_path / "events.yaml", tmp_path / "api.yaml"
    events.write_text(yaml.safe_dump(ASYNCAPI, sort_keys=False))
    api.write_text(yaml.safe_dump(api_doc, sort_keys=False))
    return events, api


def test_link_by_extension_and_callback_field(tmp_path: Path) -> None:
    events, api = write_pair(tmp_path, openapi(callback(**{"x-asyncgen-channel": "audit"})))
    generate(events, tmp_path / "out", companions=(api,))
    relay = (tmp_path / "out" / "shop_events" / "relay.py").read_text()
    assert '"shop.audit"' in relay and '"shop.orders"' not in relay
    api_py = (tmp_path / "out" / "shop_events" / "api.py").read_text()
    assert 'alias="url"' in api_py or "alias='url'" in api_py


def test_link_by_identical_payload_schema(tmp_path: Path) -> None:
    events, api = write_pair(tmp_path, openapi(callback()))
    generate(events, tmp_path / "out", companions=(api,))
    relay = (tmp_path / "out" / "shop_events" / "relay.py").read_text()
    assert '"shop.orders"' in relay and '"shop.audit"' not in relay


def test_unknown_channel_in_extension_is_a_clear_error(tmp_path: Path) -> None:
    events, api = write_pair(tmp_path, openapi(callback(**{"x-asyncgen-channel": "nope"})))
    with pytest.raises(AsyncgenError, match="x-asyncgen-channel 'nope' is no channel"):
        generate(events, tmp_path / "out", companions=(api,))


def test_unlinked_callback_is_a_clear_error(tmp_path: Path) -> None:
    doc = openapi(callback())
    doc["components"] = {"schemas": {"Order": {"type": "object", "properties": {"id": {"type": "string"}}}}}
    other = callback()
    other["requestBody"] = {"content": {"application/json": {"schema": {"type": "object", "title": "X"}}}}
    doc["paths"]["/subscriptions"]["post"]["callbacks"]["orders"]["{$request.body#/url}"]["post"] = other  # type: ignore[index]
    events, api = write_pair(tmp_path, doc)
    with pytest.raises(AsyncgenError, match="x-asyncgen-channel"):
        generate(events, tmp_path / "out", companions=(api,))


def test_same_schema_name_with_another_shape_is_refused(tmp_path: Path) -> None:
    events, api = write_pair(
        tmp_path,
        openapi(
            callback(**{"x-asyncgen-channel": "orders"}),
            order_schema={"type": "object", "properties": {"id": {"type": "integer"}}},
        ),
    )
    with pytest.raises(AsyncgenError, match="schema 'Order' differs"):
        generate(events, tmp_path / "out", companions=(api,))


def test_two_asyncapi_documents_are_refused(tmp_path: Path) -> None:
    events, _ = write_pair(tmp_path, openapi(callback()))
    with pytest.raises(AsyncgenError, match="2 AsyncAPI documents"):
        generate(events, tmp_path / "out", companions=(events,))


def test_asyncapi_with_an_http_server_relays_what_it_sends(tmp_path: Path) -> None:
    doc = {
        **ASYNCAPI,
        "servers": {**ASYNCAPI["servers"], "hooks": {"host": "hooks.example.com", "protocol": "https"}},
    }  # type: ignore[dict-item]
    events = tmp_path / "events.yaml"
    events.write_text(yaml.safe_dump(doc, sort_keys=False))
    generate(events, tmp_path / "out", server="local")
    relay = (tmp_path / "out" / "shop_events" / "relay.py").read_text()
    assert '"shop.orders"' in relay and '"shop.audit"' in relay
    assert not (tmp_path / "out" / "shop_events" / "http_handlers.py").exists()  # no REST operations
