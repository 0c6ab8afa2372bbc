"""validate: ``Document`` -> every problem at once, sorted by location.

    validate(doc) -> list[SpecError]   # errors and warnings (``SpecError.severity``)

Version dispatch lives here, and only here; the family modules are imported on
demand. AsyncAPI documents go through our own structural table
(``asyncapi2.py`` / ``asyncapi3.py`` on top of ``objects.py``, run by
``walker.py``) and then the semantic checks (``semantic.py``); OpenAPI documents
go through openapi-spec-validator (``openapi.py``).

One error per root cause: the structural pass visits each node of the resolved
graph once per kind, reports a misplaced 2.x/3.x field once with a hint instead
of also reporting what it stands for, and the semantic pass skips nodes that
already have a structural error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from asyncgen.document import Document, MapNode
from asyncgen.errors import Location, SpecError

__all__ = ["ASYNCAPI_VERSIONS", "OPENAPI_VERSIONS", "Report", "check", "validate"]

ASYNCAPI_VERSIONS = ("2.0.0", "2.1.0", "2.2.0", "2.3.0", "2.4.0", "2.5.0", "2.6.0", "3.0.0", "3.1.0")
OPENAPI_VERSIONS = re.compile(r"^3\.[01]\.\d+(-.+)?$")
_SUPPORTED = "asyncgen supports 2.0.0-2.6.0, 3.0.0, 3.1.0"


@dataclass
class Report:
    """The problems of one document, split by the pass that found them."""

    structural: list[SpecError] = field(default_factory=list)
    semantic: list[SpecError] = field(default_factory=list)
    #: entries whose walk the cross-run memo made unnecessary (see :mod:`asyncgen.validate.memo`)
    skipped: int = 0

    @property
    def problems(self) -> list[SpecError]:
        return sort_unique([*self.structural, *self.semantic])


def validate(doc: Document, memo_dir: Path | None = None) -> list[SpecError]:
    """Every problem of ``doc`` (errors and warnings), sorted by location; [] when valid.

    ``memo_dir``: the project's private cache folder, where a memo of the entries that had no
    problem lets the next run skip walking them again (:mod:`asyncgen.validate.memo`: the
    problems are exactly those of a run without it).
    """
    return check(doc, memo_dir).problems


def check(doc: Document, memo_dir: Path | None = None) -> Report:
    """Like :func:`validate`, but keeps structural and semantic findings apart (for tests/tools)."""
    root = doc.root
    where = root.loc if isinstance(root, MapNode) else Location(str(doc.path))
    if not isinstance(root, MapNode):
        return Report([SpecError("the document is not a mapping (an AsyncAPI or OpenAPI object)", where)])
    if "asyncapi" in root:
        version = root["asyncapi"]
        at = root.key_loc("asyncapi")
        if version not in ASYNCAPI_VERSIONS:
            return Report([_bad_version("asyncapi", version, at, _SUPPORTED)])
        if version.startswith("2."):
            from asyncgen.validate import asyncapi2 as family
        else:
            from asyncgen.validate import asyncapi3 as family  # type: ignore[no-redef]
        return _asyncapi(doc, _parse_version(version), family.kinds, memo_dir)
    if "openapi" in root:
        version = root["openapi"]
        if not isinstance(version, str) or not OPENAPI_VERSIONS.match(version):
            return Report(
                [_bad_version("openapi", version, root.key_loc("openapi"), "asyncgen supports 3.0.x, 3.1.x")]
            )
        from asyncgen.validate import openapi

        return Report(openapi.validate_openapi(doc))
    if "swagger" in root:
        return Report(
            [
                SpecError(
                    "Swagger 2.0 documents are not supported",
                    root.key_loc("swagger"),
                    hint="convert it to OpenAPI 3 first (e.g. with swagger2openapi)",
                )
            ]
        )
    return Report(
        [
            SpecError(
                "not an AsyncAPI or OpenAPI document (no `asyncapi:` or `openapi:` version field)",
                where,
                hint="the first line of a spec is e.g. `asyncapi: 3.0.0` or `openapi: 3.1.0`",
            )
        ]
    )


def _bad_version(family: str, version: object, at: Location, supported: str) -> SpecError:
    if not isinstance(version, str):
        return SpecError(
            f"{family}: the version must be a string like '3.0.0', not {version!r}",
            at,
            hint=f"quote it: `{family}: '{version}'`" if isinstance(version, (int, float)) else None,
        )
    return SpecError(f"{family}: {version!r} is not a supported version; {supported}", at)


def _parse_version(version: str) -> tuple[int, int, int]:
    major, minor, patch = (int(p) for p in version.split("."))
    return major, minor, patch


def _asyncapi(doc: Document, version: tuple[int, int, int], kinds: object, memo_dir: Path | None) -> Report:
    from asyncgen.validate import semantic
    from asyncgen.validate.walker import Ctx

    table = kinds(version)  # type: ignore[operator]
    ctx = Ctx(version=version, kinds=table)
    memo = None
    if memo_dir is not None:
        from asyncgen.validate.memo import Memo

        memo = Memo(memo_dir, doc)
        ctx.skip = memo.skips(table)
    ctx.check("root", doc.root, doc.root.loc, "document")
    structural = list(ctx.errors)
    check_semantic = semantic.check_v2 if version < (3, 0, 0) else semantic.check_v3
    report = Report(structural, check_semantic(ctx, doc.root), skipped=ctx.skipped)
    if memo is not None:
        memo.update(report.problems)
    return report


def sort_unique(errors: list[SpecError]) -> list[SpecError]:
    seen: set[tuple[Location, str, str]] = set()
    out: list[SpecError] = []
    for err in sorted(errors, key=SpecError.sort_key):
        key = (err.location, err.message, err.severity)
        if key not in seen:
            seen.add(key)
            out.append(err)
    return out
