"""The bundled specs in specs/ are valid, and say what they claim to exercise.

* Each one passes `asyncgen validate --fail-on-warning`: no errors, no warnings (they are examples).
* Each AsyncAPI one passes the official AsyncAPI JSON Schema of its version (the oracle in
  ../shared/asyncapi-schemas), as written and with its cross-file `$ref`s inlined; each OpenAPI
  one passes openapi-spec-validator with its cross-file `$ref`s resolved.
* Every message example validates against the message's payload/headers schema.
* Together they cover every transport we generate for, and at least one AsyncAPI 2.x document.

Tests that need ../shared skip where it is absent (a user's clone) and fail under CI=true.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from asyncgen import schemaformats
from asyncgen.errors import Location

ROOT = Path(__file__).resolve().parents[1]
SPECS_DIR = ROOT / "specs"
SHARED = Path(os.environ.get("ASYNCGEN_SHARED_DIR", ROOT.parent / "shared"))
SCHEMAS_DIR = SHARED / "asyncapi-schemas"

# Top-level documents only: specs/schemas/ holds shared fragments referenced by them.
SPECS = sorted(p for p in SPECS_DIR.glob("*.yaml") if p.is_file())
SPEC_IDS = [p.name for p in SPECS]


class _Yaml12Loader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's surprises (timestamps, on/off/yes/no booleans)."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [
        (tag, rx)
        for tag, rx in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@cache
def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_Yaml12Loader)


def resolve_pointer(doc: Any, pointer: str) -> Any:
    node = doc
    for raw in pointer.lstrip("/").split("/") if pointer.strip("/") else []:
        key = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def inline_external_refs(node: Any, here: Path, root: Path, depth: int = 0) -> Any:
    """Replace every `$ref` that leaves `root` (and every ref inside another file) by its target.

    Refs inside the root document (`#/...`) stay, so the official schema still sees them as
    Reference objects where the spec allows them. Our specs have no recursive schemas.
    """
    if depth > 64:
        raise RecursionError(f"$ref nesting deeper than 64 at {here}")
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            file_part, _, pointer = ref.partition("#")
            if file_part or here != root:
                target_file = (here.parent / file_part).resolve() if file_part else here
                target = resolve_pointer(load_yaml(target_file), pointer)
                return inline_external_refs(copy.deepcopy(target), target_file, root, depth + 1)
        return {k: inline_external_refs(v, here, root, depth) for k, v in node.items()}
    if isinstance(node, list):
        return [inline_external_refs(v, here, root, depth) for v in node]
    return node


def resolve_all_refs(node: Any, here: Path, doc_of: dict[Path, Any] | None = None, depth: int = 0) -> Any:
    """Fully dereferenced copy (internal and external refs), for validating examples."""
    if depth > 64:
        raise RecursionError(f"$ref nesting deeper than 64 at {here}")
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            file_part, _, pointer = ref.partition("#")
            target_file = (here.parent / file_part).resolve() if file_part else here
            target = resolve_pointer(load_yaml(target_file), pointer)
            return resolve_all_refs(target, target_file, doc_of, depth + 1)
        return {k: resolve_all_refs(v, here, doc_of, depth) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve_all_refs(v, here, doc_of, depth) for v in node]
    return node


def need_shared() -> None:
    if not SCHEMAS_DIR.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{SCHEMAS_DIR} is missing; CI must provide ../shared")
        pytest.skip(f"{SCHEMAS_DIR} is absent (a user's clone); the official-schema check needs it")


def kind(doc: dict[str, Any]) -> tuple[str, str]:
    if "asyncapi" in doc:
        return "asyncapi", str(doc["asyncapi"])
    if "openapi" in doc:
        return "openapi", str(doc["openapi"])
    raise AssertionError("neither an AsyncAPI nor an OpenAPI document")


def test_there_are_bundled_specs() -> None:
    names = {p.name for p in SPECS}
    for expected in (
        "erp-events.asyncapi.yaml",
        "erp-api.openapi.yaml",
        "streetlights-mqtt.asyncapi.yaml",
        "kafka-request-reply.asyncapi.yaml",
        "amqp-rpc.asyncapi.yaml",
        "redis-notifications.asyncapi.yaml",
        "nats-telemetry.asyncapi.yaml",
        "ws-chat.asyncapi.yaml",
    ):
        assert expected in names, f"specs/{expected} is missing"


SECURE_VARIANT = {
    "kafka-secure": "kafka",
    "secure-mqtt": "mqtt",
    "mqtts": "mqtt",
    "amqps": "amqp",
    "wss": "ws",
}


def test_specs_cover_every_transport_and_a_2x_document() -> None:
    protocols: set[str] = set()
    versions: set[str] = set()
    for path in SPECS:
        doc = load_yaml(path)
        family, version = kind(doc)
        if family != "asyncapi":
            continue
        versions.add(version)
        for server in (doc.get("servers") or {}).values():
            protocols.add(SECURE_VARIANT.get(server["protocol"], server["protocol"]))
    assert {"kafka", "mqtt", "amqp", "redis", "nats", "ws"} <= protocols, protocols
    assert any(v.startswith("2.") for v in versions), f"no AsyncAPI 2.x spec among {versions}"
    assert any(v.startswith("3.") for v in versions), f"no AsyncAPI 3.x spec among {versions}"


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_official_schema(spec: Path) -> None:
    doc = load_yaml(spec)
    family, version = kind(doc)
    if family == "openapi":
        from openapi_spec_validator import validate

        validate(doc, base_uri=spec.resolve().as_uri())
        return
    need_shared()
    schema_file = SCHEMAS_DIR / f"{version}.json"
    assert schema_file.is_file(), f"no official schema for AsyncAPI {version} in {SCHEMAS_DIR}"
    validator = jsonschema.Draft7Validator(json.loads(schema_file.read_text(encoding="utf-8")))
    for label, candidate in (
        ("as written", doc),
        ("with cross-file $refs inlined", inline_external_refs(doc, spec.resolve(), spec.resolve())),
    ):
        errors = sorted(validator.iter_errors(candidate), key=lambda e: list(e.absolute_path))
        assert not errors, f"{spec.name} ({label}) fails the AsyncAPI {version} schema:\n" + "\n".join(
            f"  /{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in errors[:10]
        )


def _messages(doc: dict[str, Any]) -> dict[str, Any]:
    """All message objects of an AsyncAPI document: components and inline ones in channels/operations."""
    found: dict[str, Any] = dict((doc.get("components") or {}).get("messages") or {})
    for ch_name, channel in (doc.get("channels") or {}).items():
        if doc["asyncapi"].startswith("3."):
            for m_name, message in (channel.get("messages") or {}).items():
                found[f"channels/{ch_name}/messages/{m_name}"] = message
        else:
            for op in ("publish", "subscribe"):
                message = (channel.get(op) or {}).get("message")
                if message is not None:
                    found[f"channels/{ch_name}/{op}/message"] = message
    return found


def _format_checker() -> jsonschema.FormatChecker:
    return jsonschema.Draft7Validator.FORMAT_CHECKER


@pytest.mark.parametrize("spec", [p for p in SPECS if "asyncapi" in p.name], ids=lambda p: p.name)
def test_message_examples_match_their_schemas(spec: Path) -> None:
    doc = resolve_all_refs(load_yaml(spec), spec.resolve())
    checked = 0
    for where, message in _messages(doc).items():
        variants = message.get("oneOf", [message])
        for variant in variants:
            traits = variant.get("traits", [])
            headers_schema = variant.get("headers") or next(
                (t["headers"] for t in traits if "headers" in t), None
            )
            for example in variant.get("examples", []):
                for part, schema in (("payload", variant.get("payload")), ("headers", headers_schema)):
                    if part not in example or schema is None:
                        continue
                    plain = schema.get("schema", schema) if "schemaFormat" in schema else schema
                    validator: Any = jsonschema.Draft7Validator
                    if schemaformats.kind_of(schema.get("schemaFormat")) == "avro":
                        # the example is the payload's JSON form: check it against the converted schema
                        fmt = schema["schemaFormat"]
                        converted = schemaformats.to_json_schema(plain, fmt, Location(str(spec)))
                        plain = {**converted.root, "$defs": dict(converted.defs)}
                        validator = jsonschema.Draft202012Validator
                    errors = list(
                        validator(plain, format_checker=_format_checker()).iter_errors(example[part])
                    )
                    assert not errors, (
                        f"{spec.name} {where} example {example.get('name')!r} {part}: "
                        + "; ".join(f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)
                    )
                    checked += 1
    assert checked, f"{spec.name} has no message examples"


def _validator_landed() -> bool:
    return (
        importlib.util.find_spec("asyncgen.validate") is not None
        and importlib.util.find_spec("asyncgen.load") is not None
    )


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_asyncgen_validate_finds_no_problems(spec: Path) -> None:
    if not _validator_landed():
        pytest.skip("asyncgen.load/asyncgen.validate have not landed yet")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "asyncgen",
            "validate",
            "--format",
            "json",
            "--fail-on-warning",
            str(spec.relative_to(ROOT)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    report = json.loads(proc.stdout)
    problems = [
        p for r in report["results"] for p in r["problems"] if p.get("severity") in ("error", "warning")
    ]
    assert report["ok"] and not problems, "bundled specs are examples: no errors, no warnings\n" + json.dumps(
        report, indent=2
    )
