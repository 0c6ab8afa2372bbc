"""``asyncgen diff`` end to end: spec files through load -> validate -> parse -> diff -> report.

Inline AsyncAPI 3.0 / OpenAPI 3.1 documents written to a temp dir; exit codes through
click's CliRunner; ``git:REV:path`` against a throwaway git repository; transitive
modes across three versions where the middle step hides a break.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from asyncgen.cli import main
from asyncgen.diff import Mode, diff_versions

REPO = Path(__file__).resolve().parent.parent

BASE: dict[str, Any] = {
    "asyncapi": "3.0.0",
    "info": {"title": "Orders", "version": "1.0.0"},
    "servers": {"prod": {"host": "kafka:9092", "protocol": "kafka"}},
    "channels": {
        "orderCreated": {
            "address": "orders.created",
            "messages": {"OrderCreated": {"$ref": "#/components/messages/OrderCreated"}},
        },
        "paymentReceived": {
            "address": "payments.received",
            "messages": {"PaymentReceived": {"$ref": "#/components/messages/PaymentReceived"}},
        },
    },
    "operations": {
        "publishOrderCreated": {
            "action": "send",
            "channel": {"$ref": "#/channels/orderCreated"},
            "messages": [{"$ref": "#/channels/orderCreated/messages/OrderCreated"}],
        },
        "onPaymentReceived": {
            "action": "receive",
            "channel": {"$ref": "#/channels/paymentReceived"},
            "messages": [{"$ref": "#/channels/paymentReceived/messages/PaymentReceived"}],
        },
    },
    "components": {
        "messages": {
            "OrderCreated": {"name": "OrderCreated", "payload": {"$ref": "#/components/schemas/Order"}},
            "PaymentReceived": {
                "name": "PaymentReceived",
                "payload": {"$ref": "#/components/schemas/Payment"},
            },
        },
        "schemas": {
            "Order": {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": {"type": "string"},
                    "total": {"type": "number"},
                    "status": {"type": "string", "enum": ["new", "paid"]},
                },
            },
            "Payment": {
                "type": "object",
                "properties": {
                    "orderId": {"type": "string"},
                    "method": {"type": "string", "enum": ["card", "sepa"]},
                },
            },
        },
    },
}


def spec(change: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    if change is not None:
        change(doc)
    return doc


def write(path: Path, doc: dict[str, Any]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return str(path)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["diff", *args])


def schemas(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["components"]["schemas"]  # type: ignore[no-any-return]


def order_props(doc: dict[str, Any]) -> dict[str, Any]:
    return schemas(doc)["Order"]["properties"]  # type: ignore[no-any-return]


def remove_channel(doc: dict[str, Any]) -> None:
    del doc["channels"]["paymentReceived"]
    del doc["operations"]["onPaymentReceived"]
    del doc["components"]["messages"]["PaymentReceived"]


def rename_operation(doc: dict[str, Any]) -> None:
    doc["operations"]["sendOrderCreated"] = doc["operations"].pop("publishOrderCreated")


# (id, change applied to the NEW version, expected kinds, "B"/"F"/"BF"/"-")
PIPELINE_CASES: list[tuple[str, Callable[[dict[str, Any]], None], list[str], str]] = [
    (
        "type narrowed",
        lambda d: order_props(d).__setitem__("total", {"type": "integer"}),
        ["type-narrowed"],
        "B",
    ),
    (
        "enum value added",
        lambda d: order_props(d)["status"]["enum"].append("shipped"),
        ["enum-value-added"],
        "F",
    ),
    (
        "required added",
        lambda d: schemas(d)["Payment"].__setitem__("required", ["orderId"]),
        ["required-added"],
        "B",
    ),
    (
        "optional field added",
        lambda d: order_props(d).__setitem__("note", {"type": "string"}),
        ["property-added"],
        "-",
    ),
    (
        "address changed",
        lambda d: d["channels"]["orderCreated"].__setitem__("address", "orders.v2.created"),
        ["address-changed"],
        "BF",
    ),
    ("channel removed", remove_channel, ["channel-removed", "operation-removed"], "BF"),
    ("operation renamed", rename_operation, ["operation-renamed"], "BF"),
    (
        "action flipped",
        lambda d: d["operations"]["publishOrderCreated"].__setitem__("action", "receive"),
        ["action-changed"],
        "BF",
    ),
    (
        "server protocol changed",
        lambda d: d["servers"]["prod"].__setitem__("protocol", "amqp"),
        ["protocol-changed", "protocol-removed"],
        "BF",
    ),
    (
        "server host changed",
        lambda d: d["servers"]["prod"].__setitem__("host", "kafka-2:9092"),
        ["server-url-changed"],
        "-",
    ),
    (
        "closed model",
        lambda d: schemas(d)["Order"].__setitem__("additionalProperties", False),
        ["additional-properties-restricted"],
        "B",
    ),
]


@pytest.mark.parametrize(
    ("change", "kinds", "breaks"), [c[1:] for c in PIPELINE_CASES], ids=[c[0] for c in PIPELINE_CASES]
)
def test_pipeline_classification_and_exit_codes(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], kinds: list[str], breaks: str
) -> None:
    old = write(tmp_path / "old.yaml", spec())
    new = write(tmp_path / "new.yaml", spec(change))
    result = diff_versions([old, new])
    assert [c.kind for c in result.changes] == kinds, [c.detail for c in result.changes]
    expected = {
        "BACKWARD": "B" in breaks,
        "FORWARD": "F" in breaks,
        "FULL": breaks != "-",
        "NONE": False,
    }
    for mode, breaking in expected.items():
        outcome = run(old, new, "--mode", mode, "--format", "json")
        assert outcome.exit_code == (1 if breaking else 0), (mode, outcome.output)
        assert json.loads(outcome.output)["breaking"] is breaking


def test_payload_change_is_reported_at_the_element_path(tmp_path: Path) -> None:
    old = write(tmp_path / "old.yaml", spec())
    new = write(tmp_path / "new.yaml", spec(PIPELINE_CASES[0][1]))
    outcome = run(old, new)
    assert outcome.exit_code == 1
    path = "channels/orderCreated/messages/OrderCreated/payload/properties/total"
    assert f"{path}: type narrowed number -> integer" in outcome.output
    assert "BREAKING (1)" in outcome.output


def test_text_groups_by_severity(tmp_path: Path) -> None:
    def several(d: dict[str, Any]) -> None:
        order_props(d)["total"] = {"type": "integer"}  # breaking under BACKWARD
        order_props(d)["status"]["enum"].append("shipped")  # breaks FORWARD only
        order_props(d)["note"] = {"type": "string"}  # breaks nothing

    old = write(tmp_path / "old.yaml", spec())
    new = write(tmp_path / "new.yaml", spec(several))
    text = run(old, new).output
    assert text.index("BREAKING (1)") < text.index("non-breaking (1)") < text.index("info (1)")
    assert "[breaks FORWARD, FULL; app sends: its consumers read]" in text
    assert "rollout: no safe order" in text


def test_json_output_is_stable(tmp_path: Path) -> None:
    old = write(tmp_path / "old.yaml", spec())
    new = write(tmp_path / "new.yaml", spec(PIPELINE_CASES[1][1]))
    outcome = run(old, new, "--format", "json", "--mode", "forward")
    assert outcome.exit_code == 1
    data = json.loads(outcome.output)
    assert data["schema_version"] == 1
    assert data["mode"] == "FORWARD"
    assert data["versions"] == [old, new]
    assert data["summary"] == {"breaking": 1, "non-breaking": 0, "info": 0}
    assert data["rollout"] == {"app_first": False, "peers_first": True}  # consumers first
    [change] = data["changes"]
    assert change == {
        "kind": "enum-value-added",
        "path": "channels/orderCreated/messages/OrderCreated/payload/properties/status",
        "detail": "enum value(s) added: shipped",
        "old": None,
        "new": ["shipped"],
        "breaking_under": ["FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"],
        "breaking": True,
        "severity": "breaking",
        "affects": "app sends: its consumers read",
    }
    assert run(old, new, "--format", "json", "--mode", "forward").output == outcome.output


def test_markdown_is_a_table_for_a_pr_comment(tmp_path: Path) -> None:
    def tricky(d: dict[str, Any]) -> None:
        order_props(d)["a|b"] = {"type": "string"}
        order_props(d)["total"] = {"type": "integer"}

    old = write(tmp_path / "old.yaml", spec())
    new = write(tmp_path / "new.yaml", spec(tricky))
    outcome = run(old, new, "--format", "markdown")
    assert outcome.exit_code == 1
    lines = outcome.output.splitlines()
    assert lines[0] == "### asyncgen diff: **1 breaking change(s)** under `BACKWARD`"
    assert "| severity | path | change | breaks under | affects |" in lines
    breaking = next(line for line in lines if line.startswith("| **BREAKING**"))
    assert "`channels/orderCreated/messages/OrderCreated/payload/properties/total`" in breaking
    escaped = next(line for line in lines if "a\\|b" in line)
    assert escaped.count(" | ") == 4  # the pipe in the property name did not add a column


def test_no_changes(tmp_path: Path) -> None:
    old = write(tmp_path / "old.yaml", spec())
    new = write(tmp_path / "new.yaml", spec())
    outcome = run(old, new, "--mode", "FULL")
    assert outcome.exit_code == 0
    assert "no changes" in outcome.output
    assert "No changes." in run(old, new, "--format", "markdown").output


def test_transitive_catches_a_break_hidden_by_an_intermediate_version(tmp_path: Path) -> None:
    # v1: total is a number; v2: total removed (fine: optional, open model);
    # v3: total comes back as a string (fine against v2, breaking against v1).
    def v2(d: dict[str, Any]) -> None:
        del order_props(d)["total"]

    def v3(d: dict[str, Any]) -> None:
        order_props(d)["total"] = {"type": "string"}

    versions = [
        write(tmp_path / "v1.yaml", spec()),
        write(tmp_path / "v2.yaml", spec(v2)),
        write(tmp_path / "v3.yaml", spec(v3)),
    ]
    for mode in ("BACKWARD", "FORWARD", "FULL"):
        assert run(*versions, "--mode", mode).exit_code == 0, mode
    for mode in ("BACKWARD_TRANSITIVE", "FORWARD_TRANSITIVE", "FULL_TRANSITIVE"):
        outcome = run(*versions, "--mode", mode, "--format", "json")
        assert outcome.exit_code == 1, mode
        data = json.loads(outcome.output)
        breaking = [c for c in data["changes"] if c["breaking"]]
        assert [(c["kind"], c["against"]) for c in breaking] == [("type-changed", versions[0])]
        assert "BACKWARD" not in breaking[0]["breaking_under"]  # only the transitive modes see it
    text = run(*versions, "--mode", "BACKWARD_TRANSITIVE").output
    assert f"against {versions[0]}" in text


def test_non_transitive_mode_compares_only_the_last_two(tmp_path: Path) -> None:
    v1 = write(tmp_path / "v1.yaml", spec())
    v2 = write(tmp_path / "v2.yaml", spec(PIPELINE_CASES[0][1]))
    v3 = write(tmp_path / "v3.yaml", spec(PIPELINE_CASES[0][1]))
    assert run(v1, v2, v3).exit_code == 0
    assert run(v1, v2, v3, "--mode", "BACKWARD_TRANSITIVE").exit_code == 1


def test_openapi_pair(tmp_path: Path) -> None:
    base: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "Orders API", "version": "1.0.0"},
        "paths": {
            "/orders/{orderId}": {
                "get": {
                    "operationId": "getOrder",
                    "parameters": [
                        {"name": "orderId", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    new = copy.deepcopy(base)
    new["paths"]["/orders/{orderId}"]["get"]["parameters"].append(
        {"name": "tenant", "in": "query", "required": True, "schema": {"type": "string"}}
    )
    old_path = write(tmp_path / "old.yaml", base)
    new_path = write(tmp_path / "new.yaml", new)
    outcome = run(old_path, new_path, "--format", "json")
    assert outcome.exit_code == 1, outcome.output
    [change] = json.loads(outcome.output)["changes"]
    assert change["kind"] == "parameter-added"
    assert change["path"] == "paths/~1orders~1{orderId}/get/parameters/query/tenant"
    assert run(old_path, new_path, "--mode", "FORWARD").exit_code == 0


def test_strict_open_content_flag(tmp_path: Path) -> None:
    old = write(tmp_path / "old.yaml", spec())
    new = write(tmp_path / "new.yaml", spec(lambda d: order_props(d).__setitem__("note", {"type": "string"})))
    assert run(old, new).exit_code == 0
    assert run(old, new, "--strict-open-content").exit_code == 1  # old data may carry any 'note'


# -- bad input: exit 2 with located errors -------------------------------------------


def test_one_version_is_a_usage_error(tmp_path: Path) -> None:
    outcome = run(write(tmp_path / "a.yaml", spec()))
    assert outcome.exit_code == 2
    assert "at least two versions" in outcome.output


def test_missing_file_is_bad_input(tmp_path: Path) -> None:
    outcome = run(write(tmp_path / "a.yaml", spec()), str(tmp_path / "nope.yaml"))
    assert outcome.exit_code == 2
    assert "nope.yaml" in outcome.output
    assert "Traceback" not in outcome.output


def test_broken_spec_is_located(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("asyncapi: 3.0.0\ninfo: {title: x, version: '1'\n", encoding="utf-8")
    outcome = run(write(tmp_path / "a.yaml", spec()), str(bad))
    assert outcome.exit_code == 2
    assert f"{bad}:" in outcome.output
    assert "Traceback" not in outcome.output


def test_bad_input_as_json(tmp_path: Path) -> None:
    outcome = run(write(tmp_path / "a.yaml", spec()), str(tmp_path / "nope.yaml"), "--format", "json")
    assert outcome.exit_code == 2
    data = json.loads(outcome.stdout)
    assert data["ok"] is False
    assert data["errors"][0]["file"].endswith("nope.yaml")


def test_unknown_mode_is_a_usage_error(tmp_path: Path) -> None:
    a = write(tmp_path / "a.yaml", spec())
    assert run(a, a, "--mode", "SIDEWAYS").exit_code == 2


def test_help_has_examples() -> None:
    outcome = CliRunner().invoke(main, ["diff", "--help"])
    assert outcome.exit_code == 0
    assert "git:main:specs/orders.yaml" in outcome.output
    assert "backward_transitive" in outcome.output.lower()


# -- git:REV:path -------------------------------------------------------------------

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(cwd: Path, *args: str) -> str:
    env_args = ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]
    done = subprocess.run(["git", *env_args, *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


@needs_git
def test_git_revisions_of_a_multi_file_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    doc = spec()
    schemas(doc)["Order"] = {"$ref": "schemas/order.yaml"}
    write(repo / "api" / "asyncapi.yaml", doc)
    write(repo / "api" / "schemas" / "order.yaml", BASE["components"]["schemas"]["Order"])
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "v1")
    narrowed = copy.deepcopy(BASE["components"]["schemas"]["Order"])
    narrowed["properties"]["total"] = {"type": "integer"}
    write(repo / "api" / "schemas" / "order.yaml", narrowed)  # working tree only
    monkeypatch.chdir(repo)

    outcome = run("git:HEAD:api/asyncapi.yaml", "api/asyncapi.yaml", "--format", "json")
    assert outcome.exit_code == 1, outcome.output
    [change] = json.loads(outcome.output)["changes"]
    assert change["path"] == "channels/orderCreated/messages/OrderCreated/payload/properties/total"

    git(repo, "commit", "-q", "-am", "v2")
    assert run("git:HEAD~1:api/asyncapi.yaml", "git:HEAD:./api/asyncapi.yaml").exit_code == 1
    assert run("git:HEAD:api/asyncapi.yaml", "api/asyncapi.yaml").exit_code == 0
    monkeypatch.chdir(repo / "api")
    assert run("git:HEAD~1:./asyncapi.yaml", "asyncapi.yaml").exit_code == 1


@needs_git
def test_git_errors_are_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    write(repo / "a.yaml", spec())
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "v1")
    monkeypatch.chdir(repo)
    for bad in ("git:nosuchrev:a.yaml", "git:HEAD:missing.yaml", "git:HEAD"):
        outcome = run(bad, "a.yaml")
        assert outcome.exit_code == 2, (bad, outcome.output)
        assert "Traceback" not in outcome.output


@needs_git
def test_git_errors_name_the_revision_not_the_temp_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "a.yaml").write_text("asyncapi: 3.0.0\ninfo: [unclosed\n", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "broken")
    write(repo / "a.yaml", spec())
    monkeypatch.chdir(repo)
    outcome = run("git:HEAD:a.yaml", "a.yaml")
    assert outcome.exit_code == 2
    assert "HEAD:a.yaml" in outcome.output
    assert "asyncgen-diff-" not in outcome.output


@needs_git
def test_git_links_leaving_the_folder_are_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    write(repo / "a.yaml", spec())
    (repo / "escape.yaml").symlink_to("/etc/hostname")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "v1")
    monkeypatch.chdir(repo)
    assert run("git:HEAD:a.yaml", "a.yaml").exit_code == 0  # the bad link does not stop the rest
    outcome = run("git:HEAD:escape.yaml", "a.yaml")
    assert outcome.exit_code == 2
    assert "file not found: HEAD:escape.yaml" in outcome.output
    assert "asyncgen-diff-" not in outcome.output


# -- the bundled specs' history -------------------------------------------------------


def _bundled_history() -> list[tuple[str, list[str]]]:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        return []
    out = []
    for path in sorted((REPO / "specs").glob("*.yaml")):
        rel = path.relative_to(REPO).as_posix()
        revs = subprocess.run(
            ["git", "log", "--format=%h", "--", rel], cwd=REPO, capture_output=True, text=True, check=False
        ).stdout.split()
        if revs:
            out.append((rel, revs[::-1]))
    return out


@pytest.mark.parametrize(
    ("rel", "revs"),
    _bundled_history()
    or [pytest.param("", [], marks=pytest.mark.skip(reason="specs/ has no git history here"))],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_bundled_specs_history(rel: str, revs: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Every committed version of a bundled spec and the working copy, FULL_TRANSITIVE."""
    monkeypatch.chdir(REPO)
    versions = [f"git:{rev}:{rel}" for rev in revs] + [rel]
    outcome = run(*versions, "--mode", "FULL_TRANSITIVE", "--format", "json")
    if outcome.exit_code == 2:  # validity of the bundled specs is tests/test_specs.py's business
        pytest.skip(f"{rel}: a version does not validate: {outcome.output.strip()[:300]}")
    assert outcome.exit_code in (0, 1), outcome.output
    data = json.loads(outcome.output)
    assert data["versions"] == versions
    assert all(set(c) >= {"kind", "path", "breaking_under", "breaking"} for c in data["changes"])


def test_modes_cover_the_registry_set() -> None:
    assert {m.value for m in Mode} == {
        "BACKWARD",
        "BACKWARD_TRANSITIVE",
        "FORWARD",
        "FORWARD_TRANSITIVE",
        "FULL",
        "FULL_TRANSITIVE",
        "NONE",
    }


# -- Avro payloads: readers skip unknown fields, defaults decide ---------------------

AVRO_FIELDS = [{"name": "id", "type": "string"}, {"name": "age", "type": "int"}]


def avro_spec(fields: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Users", "version": "1"},
        "channels": {
            "users": {
                "address": "users",
                "messages": {
                    "UserSignedUp": {
                        "payload": {
                            "schemaFormat": "application/vnd.apache.avro;version=1.9.0",
                            "schema": {"type": "record", "name": "User", "fields": fields},
                        }
                    }
                },
            }
        },
        "operations": {"sendUser": {"action": "send", "channel": {"$ref": "#/channels/users"}}},
    }


@pytest.mark.parametrize(
    ("new_fields", "breaks"),
    [
        pytest.param(
            [*AVRO_FIELDS, {"name": "email", "type": "string", "default": ""}], "-", id="added-with-default"
        ),
        pytest.param([*AVRO_FIELDS, {"name": "email", "type": "string"}], "B", id="added-without-default"),
        pytest.param(AVRO_FIELDS[:1], "F", id="removed-without-default"),
        pytest.param([AVRO_FIELDS[0], {"name": "age", "type": "long"}], "F", id="int-promoted-to-long"),
    ],
)
def test_avro_rules(tmp_path: Path, new_fields: list[dict[str, Any]], breaks: str) -> None:
    old = write(tmp_path / "old.yaml", avro_spec(AVRO_FIELDS))
    new = write(tmp_path / "new.yaml", avro_spec(new_fields))
    for mode, breaking in (("BACKWARD", "B" in breaks), ("FORWARD", "F" in breaks), ("FULL", breaks != "-")):
        assert run(old, new, "--mode", mode).exit_code == (1 if breaking else 0), mode


# -- AsyncAPI 2.x: publish/subscribe are translated to the app's receive/send ---------


def v2_spec(verb: str = "subscribe", total: str = "number") -> dict[str, Any]:
    return {
        "asyncapi": "2.6.0",
        "info": {"title": "Orders", "version": "1"},
        "channels": {
            "orders/created": {
                verb: {
                    "message": {
                        "name": "OrderCreated",
                        "payload": {"type": "object", "properties": {"total": {"type": total}}},
                    }
                }
            }
        },
    }


def test_asyncapi2_action_flip_and_payload(tmp_path: Path) -> None:
    old = write(tmp_path / "old.yaml", v2_spec())
    flipped = diff_versions([old, write(tmp_path / "flip.yaml", v2_spec("publish"))])
    assert "action-changed" in [c.kind for c in flipped.changes]
    assert flipped.breaking
    narrowed = diff_versions([old, write(tmp_path / "int.yaml", v2_spec(total="integer"))])
    [change] = narrowed.changes
    assert change.path.endswith("payload/properties/total")
    assert change.path.startswith("channels/orders~1created/messages/")
    assert change.affects == "app sends: its consumers read"  # 2.x subscribe = the app sends
