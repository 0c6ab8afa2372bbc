"""Copied into a generated package as ``_it_probe.py`` by the integration tests (never shipped).

Two jobs, both from outside the generated code, so the tests use only its public surface:

* ``wrap(name, default)``: the test's ``handlers.py`` (the user-owned file) wraps every generated
  default handler: it appends what the consumer handed it (payload, channel parameters, headers,
  correlation id) as one JSON line to ``$IT_RECORD_FILE``, then runs the default unchanged (so a
  default reply is still returned).
* ``python -m <pkg>._it_probe send OPERATION PAYLOAD_JSON PARAMS_JSON``: calls the generated
  producer of a send operation - found by its docstring, which starts with the operation's key -
  with the payload validated into the producer's own payload type, then exits.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import importlib
import inspect
import json
import os
import re
import sys
import typing
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, TypeAdapter


def jsonable(obj: Any) -> Any:
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [jsonable(v) for v in obj]
    if isinstance(obj, enum.Enum):
        return jsonable(obj.value)
    if hasattr(obj, "_asdict"):
        return jsonable(obj._asdict())
    if hasattr(obj, "__dict__"):
        return {k: jsonable(v) for k, v in vars(obj).items() if not k.startswith("_")}
    return str(obj)


def record(handler: str, payload: Any, kwargs: dict[str, Any]) -> None:
    meta = kwargs.get("meta")
    entry = {
        "handler": handler,
        "payload_type": type(payload).__name__,
        "payload": jsonable(payload),
        "params": jsonable(kwargs.get("params")),
        "headers": jsonable(kwargs.get("headers")),
        "correlation_id": getattr(meta, "correlation_id", None),
    }
    path = os.environ.get("IT_RECORD_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")


def substitute(template: Any, received: dict[str, Any]) -> Any:
    """Strings ``$in.<field>`` in ``template`` replaced by that field of the received payload."""
    if isinstance(template, str) and template.startswith("$in."):
        return received.get(template[4:])
    if isinstance(template, dict):
        return {k: substitute(v, received) for k, v in template.items()}
    if isinstance(template, list):
        return [substitute(v, received) for v in template]
    return template


def wrap(name: str, default: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """The recording handler; with $IT_ECHO it also sends, as a user's handler would.

    ``IT_ECHO={"operation": KEY, "payload": {...}}``: after the default ran, the producer of send
    operation KEY is called in this process with that payload (``$in.x`` = field x of the received
    payload) and the received message's channel parameters.
    """
    package = default.__module__.rsplit(".", 1)[0]

    async def handler(payload: Any, **kwargs: Any) -> Any:
        record(name, payload, kwargs)
        result = await default(payload, **kwargs)
        echo = os.environ.get("IT_ECHO")
        if echo:
            spec = json.loads(echo)
            params = jsonable(kwargs.get("params")) or {}
            await call_producer(
                package, spec["operation"], substitute(spec["payload"], jsonable(payload)), params
            )
        return result

    handler.__name__ = handler.__qualname__ = name
    handler.__doc__ = default.__doc__
    return handler


HANDLERS_PY = '''"""Stand-in for the user's handlers.py, written by asyncgen's integration tests.

Every generated default handler is wrapped: what it receives is recorded to $IT_RECORD_FILE.
"""

import inspect as _inspect

from . import handlers_generated as _generated
from ._it_probe import wrap as _wrap

for _name, _fn in _inspect.getmembers(_generated, _inspect.iscoroutinefunction):
    if _fn.__module__ == _generated.__name__ and not _name.startswith("_"):
        globals()[_name] = _wrap(_name, _fn)
'''


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def find_producer(module: Any, operation: str) -> Callable[..., Awaitable[Any]]:
    found = []
    for name, fn in inspect.getmembers(module, inspect.iscoroutinefunction):
        if fn.__module__ != module.__name__:
            continue
        doc = (fn.__doc__ or "").strip()
        if doc.split(":", 1)[0].strip() == operation or _norm(name).endswith(_norm(operation)):
            found.append((name, fn))
    if len(found) != 1:
        names = [
            n
            for n, f in inspect.getmembers(module, inspect.iscoroutinefunction)
            if f.__module__ == module.__name__
        ]
        raise SystemExit(
            f"no single producer for {operation!r} in {module.__name__} (found {found}; has {names})"
        )
    return found[0][1]


async def call_producer(
    package: str, operation: str, payload: Any, params: dict[str, Any], headers: Any = None
) -> Any:
    """Call the producer of ``operation`` with ``payload`` (and ``headers``) validated into its types."""
    producers = importlib.import_module(f"{package}.producers")
    fn = find_producer(producers, operation)
    hints = typing.get_type_hints(fn)
    kwargs: dict[str, Any] = {}
    wanted = {_norm(k): v for k, v in params.items()}
    for pname in inspect.signature(fn).parameters:
        if pname != "payload" and _norm(pname) in wanted:
            value = wanted.pop(_norm(pname))
            kwargs[pname] = TypeAdapter(hints[pname]).validate_python(value) if pname in hints else value
    if wanted:
        raise SystemExit(f"{fn.__name__}{inspect.signature(fn)} has no parameter for {sorted(wanted)}")
    if headers is not None:
        kwargs["headers"] = TypeAdapter(hints["headers"]).validate_python(headers)
    model = TypeAdapter(hints["payload"]).validate_python(payload)
    result = await fn(model, **kwargs)
    print(f"sent via {fn.__name__}", flush=True)
    return result


async def send(package: str, operation: str, payload: Any, params: dict[str, Any], headers: Any) -> None:
    """From a process of its own: connect the service's broker, send, disconnect."""
    broker = importlib.import_module(f"{package}.broker").broker
    await broker.start()
    try:
        await call_producer(package, operation, payload, params, headers)
    finally:
        await broker.stop()


if __name__ == "__main__":
    if len(sys.argv) not in (5, 6) or sys.argv[1] != "send":
        raise SystemExit(
            "usage: python -m PKG._it_probe send OPERATION PAYLOAD_JSON PARAMS_JSON [HEADERS_JSON]"
        )
    args = [json.loads(a) for a in sys.argv[3:]]
    asyncio.run(send(__package__ or "", sys.argv[2], args[0], args[1], args[2] if len(args) > 2 else None))
