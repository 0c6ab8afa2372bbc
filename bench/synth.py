"""Synthetic AsyncAPI 3.0 specs of N channels, for benchmarks (deterministic)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def synth_spec(channels: int, protocol: str = "kafka") -> dict[str, Any]:
    """An AsyncAPI 3.0 document with ``channels`` channels, one message, schema and operation each.

    Every third channel is parameterised; schemas have nested objects, enums and
    formats so the whole pipeline (validate, models, producers) does real work.
    """
    doc: dict[str, Any] = {
        "asyncapi": "3.0.0",
        "info": {"title": f"Synthetic {channels}", "version": "1.0.0"},
        "servers": {"local": {"host": "localhost:9092", "protocol": protocol}},
        "channels": {},
        "operations": {},
        "components": {"messages": {}, "schemas": {}, "parameters": {}},
    }
    doc["components"]["parameters"]["entityId"] = {"description": "Entity id", "examples": ["e-1"]}
    for i in range(channels):
        name = f"entity{i}Changed"
        schema = f"Entity{i}Payload"
        address = f"erp.entity{i}.{{entityId}}.changed" if i % 3 == 0 else f"erp.entity{i}.changed"
        channel: dict[str, Any] = {
            "address": address,
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        if i % 3 == 0:
            channel["parameters"] = {"entityId": {"$ref": "#/components/parameters/entityId"}}
        doc["channels"][name] = channel
        doc["operations"][f"publish{name[0].upper()}{name[1:]}"] = {
            "action": "send" if i % 2 == 0 else "receive",
            "channel": {"$ref": f"#/channels/{name}"},
            "messages": [{"$ref": f"#/channels/{name}/messages/{name}"}],
        }
        doc["components"]["messages"][name] = {
            "name": name,
            "contentType": "application/json",
            "payload": {"$ref": f"#/components/schemas/{schema}"},
        }
        doc["components"]["schemas"][schema] = {
            "type": "object",
            "required": ["id", "status", "changedAt"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "status": {"type": "string", "enum": ["new", "active", "closed"]},
                "changedAt": {"type": "string", "format": "date-time"},
                "amount": {"type": "number", "minimum": 0},
                "lines": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}},
                    },
                },
            },
        }
    return doc


def write_spec(channels: int, directory: Path, protocol: str = "kafka") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"synthetic-{channels}.yaml"
    path.write_text(yaml.safe_dump(synth_spec(channels, protocol), sort_keys=False), encoding="utf-8")
    return path
