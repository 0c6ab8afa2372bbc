"""``asyncgen diff``: breaking-change detection between spec versions.

Layers, each usable on its own:

* :mod:`asyncgen.diff.schema` - ``compare(old, new)`` on two JSON Schemas;
* :mod:`asyncgen.diff.contract` (+ :mod:`.http`) - ``diff_apis(old, new)`` on two
  IRs; its docstring states the reader/writer direction convention;
* :mod:`asyncgen.diff.report` - text, JSON and Markdown;
* :func:`diff_versions` - spec files or ``git:REV:path`` through load -> validate
  -> parse, the newest version against the previous one (or, for ``_TRANSITIVE``
  modes, against every earlier one).

:class:`~asyncgen.diff.changes.Change` says what was found and under which
:class:`~asyncgen.diff.changes.Mode` it breaks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from asyncgen.diff.changes import Change, Mode, is_breaking
from asyncgen.diff.contract import diff_apis
from asyncgen.diff.report import DiffResult, merge_against, render
from asyncgen.diff.schema import SchemaOptions, compare
from asyncgen.document import LoadOptions
from asyncgen.errors import AsyncgenError, SpecError, SpecErrors
from asyncgen.model import Api

__all__ = [
    "Change",
    "DiffResult",
    "Mode",
    "SchemaOptions",
    "compare",
    "diff_apis",
    "diff_versions",
    "is_breaking",
    "load_api",
    "render",
]


def load_api(spec: str, options: LoadOptions | None = None) -> Api:
    """One version: a spec file or ``git:REV:path``, loaded, validated and parsed."""
    from asyncgen.diff.source import materialize, parse_git
    from asyncgen.load import load
    from asyncgen.parse import parse
    from asyncgen.validate import validate

    options = options or LoadOptions()
    with materialize(spec, options.allow_outside) as (path, outside):
        if parse_git(spec) is not None:
            options = replace(options, allow_outside=outside)
        doc = load(path, options)
        problems = [p for p in validate(doc) if p.severity == "error"]
        if problems:
            raise SpecErrors(problems)
        return parse(doc)


def diff_versions(
    specs: Sequence[str],
    mode: Mode = Mode.BACKWARD,
    options: LoadOptions | None = None,
    schema_options: SchemaOptions | None = None,
) -> DiffResult:
    """The newest of ``specs`` (the last) against the previous one, or every earlier one
    for ``_TRANSITIVE`` modes. Every version is loaded first; all their problems are
    raised together as :class:`SpecErrors`."""
    if len(specs) < 2:
        raise AsyncgenError("diff needs at least two versions: OLD NEW")
    apis: list[Api] = []
    problems: list[SpecError] = []
    for spec in specs:
        try:
            apis.append(load_api(spec, options))
        except SpecErrors as errs:
            problems.extend(errs.errors)
        except SpecError as err:
            problems.append(err)
    if problems:
        raise SpecErrors(problems)
    newest = apis[-1]
    earlier = list(zip(specs[:-1], apis[:-1], strict=True))
    if not mode.transitive:
        earlier = earlier[-1:]
    found = [(label, diff_apis(api, newest, schema_options)) for label, api in earlier]
    return DiffResult(mode, tuple(specs), merge_against(found))
