"""validate is roughly linear: a 1,000-channel AsyncAPI 3.0 spec validates well under a second.

Generous bounds (shared, noisy machines); `bench/validate.py` prints the real numbers.
"""

from __future__ import annotations

import time
from typing import Any

from asyncgen.load import load_data
from asyncgen.validate import validate


def synthetic(channels: int) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "asyncapi": "3.0.0",
        "info": {"title": "Synthetic", "version": "1.0.0"},
        "servers": {"broker": {"host": "localhost:9092", "protocol": "kafka"}},
        "channels": {},
        "operations": {},
        "components": {"messages": {}, "schemas": {}},
    }
    for i in range(channels):
        spec["components"]["schemas"][f"Event{i}"] = {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "n": {"type": "integer", "minimum": 0},
            },
        }
        spec["components"]["messages"][f"event{i}"] = {
            "name": f"Event{i}",
            "payload": {"$ref": f"#/components/schemas/Event{i}"},
        }
        spec["channels"][f"c{i}"] = {
            "address": f"things.{i}.{{id}}",
            "parameters": {"id": {"description": "thing id"}},
            "messages": {"event": {"$ref": f"#/components/messages/event{i}"}},
        }
        spec["operations"][f"on{i}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/c{i}"},
            "messages": [{"$ref": f"#/channels/c{i}/messages/event"}],
        }
    return spec


def best_time(channels: int) -> float:
    doc = load_data(synthetic(channels), "synthetic.yaml")
    times = []
    for _ in range(3):
        start = time.perf_counter()
        assert validate(doc) == []
        times.append(time.perf_counter() - start)
    return min(times)


def test_thousand_channels_well_under_a_second_and_linear() -> None:
    small, big = best_time(200), best_time(1000)
    assert big < 1.0, f"1,000 channels took {big:.2f}s"
    assert big < small * 5 * 3, f"superlinear: 200 -> {small:.3f}s, 1000 -> {big:.3f}s"
