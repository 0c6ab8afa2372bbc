"""asyncgen: spec-first code generation for event-driven Python.

Public API (the CLI uses exactly these)::

    from asyncgen import load, validate, parse
    doc = load("specs/erp-events.asyncapi.yaml")   # Document, raises SpecError(s)
    problems = validate(doc)                        # list[SpecError], empty when valid
    api = parse(doc)                                # the IR (asyncgen.model.Api)

The pipeline stages are imported on first use (``asyncgen --version`` stays fast).
The functions live in ``asyncgen.api`` rather than here so that importing the
submodules ``asyncgen.load``/``asyncgen.validate``/``asyncgen.parse`` cannot replace them.
"""

from __future__ import annotations

__version__ = "0.1.0"

from asyncgen.api import load, parse, validate  # noqa: E402

__all__ = ["__version__", "load", "parse", "validate"]
