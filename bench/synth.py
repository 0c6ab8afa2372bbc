"""Synthetic AsyncAPI specs of N channels, for benchmarks (deterministic).

* :func:`synth_spec` - AsyncAPI 3.0 (what asyncgen's benchmarks run on);
* :func:`synth_spec_v2` - the same channels, messages and schemas as AsyncAPI 2.6
  (for the Node generator's ``@asyncapi/python-paho-template``, which reads 2.x only);
* :func:`asyncapi_python_variant` - the 3.0 spec rewritten into what ``asyncapi-python``
  0.3.x accepts (inline channel messages and parameters, parameter ``location``, AMQP
  ``is`` bindings on parameterised channels): same channels, same schemas.
"""

from __future__ import annotations

import copy
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


def _payload_schema() -> dict[str, Any]:
    return copy.deepcopy(synth_spec(1)["components"]["schemas"]["Entity0Payload"])


def synth_spec_v2(channels: int, protocol: str = "mqtt") -> dict[str, Any]:
    """The AsyncAPI 2.6 twin of :func:`synth_spec`: same addresses, messages and schemas.

    2.x operations are the client's view: the application's ``send`` is ``subscribe``,
    its ``receive`` is ``publish``.
    """
    doc: dict[str, Any] = {
        "asyncapi": "2.6.0",
        "info": {"title": f"Synthetic {channels}", "version": "1.0.0"},
        "servers": {"local": {"url": "localhost:1883", "protocol": protocol}},
        "channels": {},
        "components": {"messages": {}, "schemas": {}, "parameters": {}},
    }
    doc["components"]["parameters"]["entityId"] = {"description": "Entity id", "schema": {"type": "string"}}
    for i in range(channels):
        name = f"entity{i}Changed"
        schema = f"Entity{i}Payload"
        address = f"erp/entity{i}/{{entityId}}/changed" if i % 3 == 0 else f"erp/entity{i}/changed"
        verb = "subscribe" if i % 2 == 0 else "publish"
        channel: dict[str, Any] = {
            verb: {
                "operationId": f"{verb}{name[0].upper()}{name[1:]}",
                "message": {"$ref": f"#/components/messages/{name}"},
            }
        }
        if i % 3 == 0:
            channel["parameters"] = {"entityId": {"$ref": "#/components/parameters/entityId"}}
        doc["channels"][address] = channel
        doc["components"]["messages"][name] = {
            "name": name,
            "contentType": "application/json",
            "payload": {"$ref": f"#/components/schemas/{schema}"},
        }
        doc["components"]["schemas"][schema] = _payload_schema()
    return doc


def asyncapi_python_variant(doc: dict[str, Any]) -> dict[str, Any]:
    """A :func:`synth_spec` document as ``asyncapi-python`` 0.3.x accepts it (same content).

    Its validator does not follow ``$ref`` in channel messages or parameters, wants a
    ``location`` on every parameter that is found in every payload, and (compiling for
    AMQP) an ``is`` in the AMQP binding of every parameterised channel.
    """
    out = copy.deepcopy(doc)
    components = out["components"]
    for channel in out["channels"].values():
        for key, ref in list(channel["messages"].items()):
            message = copy.deepcopy(components["messages"][ref["$ref"].rsplit("/", 1)[1]])
            message["payload"] = copy.deepcopy(
                components["schemas"][message["payload"]["$ref"].rsplit("/", 1)[1]]
            )
            channel["messages"][key] = message
        if "parameters" in channel:
            channel["parameters"] = {
                name: {**components["parameters"][name], "location": "$message.payload#/id"}
                for name in channel["parameters"]
            }
            channel["bindings"] = {"amqp": {"is": "routingKey"}}
    return out


def write_spec(channels: int, directory: Path, protocol: str = "kafka", variant: str = "3.0") -> Path:
    """Write a synthetic spec; ``variant``: ``3.0`` (default), ``2.6`` or ``asyncapi-python``."""
    directory.mkdir(parents=True, exist_ok=True)
    if variant == "3.0":
        doc, path = synth_spec(channels, protocol), directory / f"synthetic-{channels}.yaml"
    elif variant == "2.6":
        doc, path = synth_spec_v2(channels), directory / f"synthetic-{channels}-v2.yaml"
    elif variant == "asyncapi-python":
        doc = asyncapi_python_variant(synth_spec(channels, protocol))
        path = directory / f"synthetic-{channels}-asyncapi-python.yaml"
    else:
        raise ValueError(f"unknown variant {variant!r}")
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path
