"""The events ``asyncgen demo`` publishes: the spec's own examples, sent by the generated producers.

Each ``send`` operation of the AsyncAPI document gives one event type, with the message's
example payload and headers (the spec's example when it validates, else one synthesised
from the schema: :mod:`asyncgen.examples`, as the generated tests do). Every published
event gets a fresh ``eventId`` (and ``occurredAt``), so its webhook delivery can be told
apart from the others. Publishing imports the generated package and calls its typed
producer functions, which validate each payload against the generated models before it
leaves the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import importlib
import os
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asyncgen.demo_procs import DemoError


@dataclass(frozen=True)
class EventKind:
    """One send operation of the spec, with an example to publish."""

    event_type: str
    producer: str  # function name in <package>.producers
    payload_class: str  # class name in <package>.models
    payload: Mapping[str, Any]
    headers_class: str | None = None
    headers: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Event:
    kind: EventKind
    event_id: str
    payload: dict[str, Any]
    headers: dict[str, Any] | None


def event_kinds(spec: Path) -> list[EventKind]:
    """The spec's send operations that have a JSON example payload with an ``eventId``, in spec order."""
    from asyncgen.errors import Diagnostics
    from asyncgen.examples import example_for, headers_example
    from asyncgen.load import load
    from asyncgen.parse import parse

    api = parse(load(spec), Diagnostics())
    defs = {d.name: dict(d.schema) for d in api.schemas}
    kinds: list[EventKind] = []
    for op in api.operations:
        if op.action != "send" or op.reply is not None:
            continue
        for message in op.messages:
            payload, found = example_for(message, defs)
            if (
                not found
                or not isinstance(payload, dict)
                or "eventId" not in payload
                or message.payload is None
            ):
                continue
            headers = headers_example(message, defs)
            event_type = message.event_type or message.name or message.key
            if headers is not None and "eventType" in headers:
                headers = {**headers, "eventType": event_type}
            kinds.append(
                EventKind(
                    event_type=event_type,
                    producer=op.ident,
                    payload_class=message.payload.name,
                    payload=payload,
                    headers_class=message.headers.name if message.headers is not None else None,
                    headers=headers,
                )
            )
    if not kinds:
        raise DemoError(f"{spec}: no send operation with an example payload carrying an eventId to publish")
    return kinds


def plan_events(kinds: list[EventKind], count: int) -> list[Event]:
    """``count`` events, cycling through the kinds, each with a fresh eventId and occurredAt."""
    now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    events = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        payload = copy.deepcopy(dict(kind.payload))
        payload["eventId"] = str(uuid.uuid4())
        if "occurredAt" in payload:
            payload["occurredAt"] = now
        headers = dict(kind.headers) if kind.headers is not None else None
        events.append(Event(kind, payload["eventId"], payload, headers))
    return events


def publish(
    package: str,
    project: Path,
    env: Mapping[str, str],
    events: list[Event],
    on_sent: Callable[[Event, float], None],
    *,
    cwd: Path,
) -> None:
    """Publish ``events`` in order with ``<package>.producers`` (imported from ``project``).

    The generated settings are read at import, from the environment and a ``.env`` file in
    the working directory: the import sees exactly ``env``'s ``<PACKAGE>_`` variables (a
    user's own, for a real deployment, are removed) and runs in ``cwd`` (no ``.env``).
    ``on_sent(event, t)`` is called with ``time.monotonic()`` just before each event is handed
    to the producer. DemoError when the package cannot be imported or a publish fails.
    """
    prefix = package.upper() + "_"
    for name in [n for n in os.environ if n.startswith(prefix)]:
        del os.environ[name]
    os.environ.update({k: v for k, v in env.items() if k.startswith(prefix)})
    with contextlib.chdir(cwd):
        _publish(package, project, events, on_sent)


def _publish(
    package: str, project: Path, events: list[Event], on_sent: Callable[[Event, float], None]
) -> None:
    sys.path.insert(0, str(project))
    try:
        producers = importlib.import_module(f"{package}.producers")
        models = importlib.import_module(f"{package}.models")
        broker = importlib.import_module(f"{package}.broker").broker
    except Exception:
        raise DemoError(
            f"cannot import the generated package {package} from {project}:\n{traceback.format_exc(limit=3)}"
        ) from None
    finally:
        sys.path.remove(str(project))

    async def run() -> None:
        await broker.start()
        try:
            for event in events:
                kind = event.kind
                payload = getattr(models, kind.payload_class).model_validate(event.payload)
                headers = None
                if kind.headers_class is not None and event.headers is not None:
                    headers = getattr(models, kind.headers_class).model_validate(event.headers)
                on_sent(event, time.monotonic())
                await getattr(producers, kind.producer)(payload, headers=headers)
        finally:
            await broker.stop()

    try:
        asyncio.run(run())
    except Exception as err:
        raise DemoError(f"publishing with {package}.producers failed: {type(err).__name__}: {err}") from None
