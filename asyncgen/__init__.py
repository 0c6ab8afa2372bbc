"""asyncgen: spec-first code generation for event-driven Python.

Public API for library users (the CLI uses exactly these)::

    from asyncgen.api import load, validate, parse
    from asyncgen.generate import generate

    doc = load("specs/erp-events.asyncapi.yaml")   # Document, raises SpecError(s)
    problems = validate(doc)                        # list[SpecError], empty when valid
    api = parse(doc)                                # the IR (asyncgen.model.Api)

They are not re-exported here: ``asyncgen.load``, ``asyncgen.validate`` and
``asyncgen.parse`` are the pipeline's modules, and a function of the same name on
the package would be shadowed by the module as soon as it is imported.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
