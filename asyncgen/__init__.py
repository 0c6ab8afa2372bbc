"""asyncgen: spec-first code generation for event-driven Python.

Public API (the CLI uses exactly these)::

    from asyncgen import load, validate, parse
    doc = load("specs/erp-events.yaml")     # Document, raises SpecError(s)
    problems = validate(doc)                  # list[SpecError], empty when valid
    api = parse(doc)                          # the IR (asyncgen.model.Api)
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "load", "parse", "validate"]


def load(path: Any, options: Any = None) -> Any:
    from asyncgen.load import load as _load

    return _load(path, options) if options is not None else _load(path)


def validate(doc: Any) -> Any:
    from asyncgen.validate import validate as _validate

    return _validate(doc)


def parse(doc: Any) -> Any:
    from asyncgen.parse import parse as _parse

    return _parse(doc)
