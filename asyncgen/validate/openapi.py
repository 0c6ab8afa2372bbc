"""OpenAPI 3.0 / 3.1 through openapi-spec-validator, errors mapped to our located format.

The library validates the document *as written* and resolves ``$ref`` itself, so
it gets ``Document.raw`` and the root file's URI as base. Each error it yields is
one root cause; for ``oneOf``/``anyOf`` failures we keep the most relevant leaf
(``jsonschema.exceptions.best_match``), and locate it by walking the raw tree along
the error's path to the deepest node we know the position of.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from jsonschema.exceptions import (  # type: ignore[import-untyped,unused-ignore]
    ValidationError,
    best_match,
)

from asyncgen.document import Document, MapNode, SeqNode
from asyncgen.errors import Location, SpecError, join_pointer

MAX_ERRORS = 200


def validate_openapi(doc: Document) -> list[SpecError]:
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    version = str(doc.raw.get("openapi", ""))
    validator_class = OpenAPIV31SpecValidator if version.startswith("3.1") else OpenAPIV30SpecValidator
    base_uri = _base_uri(doc)
    validator = validator_class(_plain(doc.raw), base_uri=base_uri)
    found: list[SpecError] = []
    seen: set[tuple[str, str]] = set()
    try:
        # The document against the OpenAPI JSON Schema first; the library's deeper checks
        # (refs, parameters, defaults vs schemas) only when that passed - otherwise they
        # mostly repeat the same root causes.
        errors: Iterator[ValidationError] = validator.schema_validator.iter_errors(validator.schema)
        first = next(errors, None)
        if first is not None:
            errors = itertools.chain([first], errors)
        else:
            errors = iter(validator.root_validator(validator.schema_path))
        for err in errors:
            leaf = _leaf(err)
            problem = _to_spec_error(doc, leaf)
            key = (problem.pointer, problem.message)
            if key in seen:
                continue
            seen.add(key)
            found.append(problem)
            if len(found) >= MAX_ERRORS:
                break
    except (RecursionError, ValueError, LookupError, OSError) as exc:  # unresolvable refs and the like
        found.append(SpecError(f"OpenAPI validation failed: {exc}", doc.raw.loc))
    return found


def _base_uri(doc: Document) -> str:
    path = Path(doc.raw.loc.file)
    if doc.raw.loc.file.startswith("<") or not path.exists():
        path = doc.path
    try:
        return path.resolve().as_uri()
    except ValueError:
        return ""


def _plain(node: Any) -> Any:
    """Plain dicts/lists (the library copies and caches; our nodes need not travel)."""
    stack: list[tuple[Any, Any]] = []
    if isinstance(node, dict):
        out: Any = {}
    elif isinstance(node, list):
        out = []
    else:
        return node
    stack.append((node, out))
    while stack:
        src, dst = stack.pop()
        items: Iterable[tuple[Any, Any]] = src.items() if isinstance(src, dict) else enumerate(src)
        for key, value in items:
            if isinstance(value, dict):
                child: Any = {}
                stack.append((value, child))
            elif isinstance(value, list):
                child = []
                stack.append((value, child))
            else:
                child = value
            if isinstance(dst, dict):
                dst[key] = child
            else:
                dst.append(child)
    return out


def _leaf(err: ValidationError) -> ValidationError:
    if not err.context:
        return err
    try:
        best = best_match([err])
    except AttributeError:  # errors re-raised by the library's keyword validators lack a type checker
        best = None
    if best is not None:
        return best
    while err.context:
        err = max(err.context, key=lambda e: (len(e.absolute_path), e.validator not in ("oneOf", "anyOf")))
    return err


def _to_spec_error(doc: Document, err: ValidationError) -> SpecError:
    path = list(err.absolute_path)
    where = locate(doc.raw, path)
    hint = None
    if (
        err.validator in ("anyOf", "oneOf")
        and err.context
        and all(e.validator == "required" for e in err.context)
    ):
        names = [
            n for e in err.context for n in (e.validator_value if isinstance(e.validator_value, list) else [])
        ]
        message = "needs at least one of " + ", ".join(f"`{n}`" for n in dict.fromkeys(names))
    else:
        message = err.message.replace(repr(err.instance), _short(err.instance))
        if err.validator == "additionalProperties":
            hint = "only the fields the OpenAPI specification defines (and `x-` extensions) are allowed here"
    return SpecError(message, where, hint=hint)


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return "an object" if value else "{}"
    if isinstance(value, list):
        return "an array" if value else "[]"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def locate(raw: MapNode, path: list[Any]) -> Location:
    """The location of ``path`` in ``raw``: the deepest node on it we have a position for."""
    node: Any = raw
    where = raw.loc
    pointer = ""
    for part in path:
        pointer = join_pointer(pointer, part)
        if isinstance(node, MapNode) and isinstance(part, str) and part in node:
            where = node.key_loc(part)
            node = node[part]
            if isinstance(node, (MapNode, SeqNode)):
                where = node.loc
        elif isinstance(node, SeqNode) and isinstance(part, int) and 0 <= part < len(node):
            where = node.item_loc(part)
            node = node[part]
            if isinstance(node, (MapNode, SeqNode)):
                where = node.loc
        else:
            break
    return Location(where.file, where.line, where.column, pointer or where.pointer)
