"""Plan: the manifest's ``when`` / ``foreach`` / ``path`` evaluated into a list of files.

No template is rendered here; only the manifest's expressions and path strings,
against the same context the templates see. Output paths must be relative, must not
leave the output directory, and must be unique (two manifest entries producing the
same path is an error naming both).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from types import CodeType
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.environment import TemplateExpression
from jinja2.parser import Parser

from asyncgen.errors import AsyncgenError, Location, TemplateError
from asyncgen.templateset import FileEntry, TemplateSet

#: where the engine keeps its own files inside the output; templates may not write there
RESERVED_DIR = ".asyncgen"


@dataclass(frozen=True)
class FileSpec:
    path: PurePosixPath
    template: str
    ownership: str
    entry: FileEntry
    item: Any = None
    has_item: bool = False
    #: "spec" (depends on everything) or "item:<sha256 of the item's canonical form>"
    input_key: str = "spec"


def describe_element(item: Any) -> str:
    """``channel 'lights' (spec.yaml:12:3)`` for IR objects and views that wrap one."""
    candidates = [item, *(v for v in getattr(item, "__dict__", {}).values() if hasattr(v, "key"))]
    for obj in candidates:
        key = getattr(obj, "key", None)
        if isinstance(key, str):
            kind = type(obj).__name__.lower()
            loc = getattr(obj, "location", None)
            where = f" ({loc})" if isinstance(loc, Location) and loc.file != "<memory>" else ""
            pointer = f" at {loc.pointer}" if isinstance(loc, Location) and loc.pointer else ""
            return f"{kind} {key!r}{where}{pointer}"
    text = repr(item)
    return text if len(text) <= 80 else text[:77] + "..."


class _Uncanonical(Exception):
    pass


def _canonical(value: Any, depth: int, path: set[int]) -> Any:
    if depth > 60:
        raise _Uncanonical
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Location):
        return None  # where an element sits in the file is not what a file is made of
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if id(value) in path:
        raise _Uncanonical
    path = path | {id(value)}
    if isinstance(value, Mapping):
        return {
            "{}": [[_canonical(k, depth + 1, path), _canonical(v, depth + 1, path)] for k, v in value.items()]
        }
    if isinstance(value, (list, tuple)):
        return [_canonical(v, depth + 1, path) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {
            f.name: _canonical(getattr(value, f.name), depth + 1, path) for f in dataclasses.fields(value)
        }
        return {type(value).__qualname__: fields}
    state = getattr(value, "__dict__", None)
    if isinstance(state, dict):
        public = {k: v for k, v in state.items() if not k.startswith("_")}
        return {type(value).__qualname__: _canonical(public, depth + 1, path)}
    raise _Uncanonical


def canonical_hash(value: Any) -> str | None:
    """sha256 of a deterministic JSON form of ``value``; None when it has none (cycles, opaque objects).

    Source locations (:class:`~asyncgen.errors.Location`) are left out: an edit above an
    element moves its line numbers without changing it. So a ``depends_on: item`` template
    must not print ``item.location``.
    """
    try:
        form = _canonical(value, 0, set())
    except _Uncanonical:
        return None
    text = json.dumps(form, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _expression_error(
    entry: FileEntry, what: str, expr: str, err: Exception, item: Any = None
) -> TemplateError:
    element = f", for {describe_element(item)}" if item is not None else ""
    return TemplateError(
        f"template set manifest {entry.describe()}: {what} {expr!r} failed{element}: "
        f"{type(err).__name__}: {err}"
    )


#: the manifest's compiled expressions and path templates, per environment (:func:`precompile`)
_COMPILED: weakref.WeakKeyDictionary[jinja2.Environment, dict[tuple[str, str], Any]] = (
    weakref.WeakKeyDictionary()
)


def _compiled(env: jinja2.Environment, kind: str, text: str) -> Any:
    """``env.compile_expression(text)`` (kind "expression") or ``env.from_string(text)``, once per env."""
    memo = _COMPILED.setdefault(env, {})
    found = memo.get((kind, text))
    if found is None:
        if kind == "expression":
            found = env.compile_expression(text, undefined_to_none=False)
        else:
            found = env.from_string(text)
        memo[(kind, text)] = found
    return found


def _code(env: jinja2.Environment, kind: str, text: str) -> CodeType | None:
    """The code ``compile_expression``/``from_string`` compile for ``text`` (None: an error,
    which :func:`_compiled` reports as before)."""
    try:
        source: str | nodes.Template = text
        if kind == "expression":
            parser = Parser(env, text, state="variable")
            expr = parser.parse_expression()
            if not parser.stream.eos:
                return None
            expr.set_environment(env)
            source = nodes.Template([nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)], lineno=1)
        code: CodeType = env.compile(source)
        return code
    except jinja2.TemplateError:
        return None


def _from_code(env: jinja2.Environment, kind: str, code: CodeType) -> Any:
    template = env.template_class.from_code(env, code, env.make_globals(None), None)
    return TemplateExpression(template, False) if kind == "expression" else template


def _manifest_texts(tset: TemplateSet) -> list[tuple[str, str]]:
    """The manifest's ``when``/``foreach`` expressions and ``path`` templates, each once."""
    texts = (
        (kind, text)
        for entry in tset.files
        for kind, text in (
            ("expression", entry.when),
            ("expression", entry.foreach),
            ("template", entry.path),
        )
        if text is not None
    )
    return list(dict.fromkeys(texts))


def precompile(tset: TemplateSet, env: jinja2.Environment) -> None:
    """Compile the manifest's ``when``/``foreach`` expressions and ``path`` templates, once per
    ``env`` (a cold run does it while dcg runs); errors are left for :func:`plan` to report.

    Compiling them is ~10 ms of every run, so their code is kept like the templates' (the
    environment's bytecode cache, :class:`asyncgen.render._CompiledTemplates`: keyed by the
    environment), in one file per manifest: its name hashes every expression's text.
    """
    memo = _COMPILED.setdefault(env, {})
    texts = _manifest_texts(tset)
    if all(t in memo for t in texts):
        return
    store = env.bytecode_cache
    key = hashlib.sha256("\0".join(f"{kind}:{text}" for kind, text in texts).encode("utf-8")).hexdigest()
    load = getattr(store, "load_codes", None)
    codes: dict[tuple[str, str], CodeType] = load(key) if load is not None else {}
    known = len(codes)
    for kind, text in texts:
        code = codes.get((kind, text))
        if code is None:
            code = _code(env, kind, text)
            if code is None:
                continue  # plan reports it
            codes[(kind, text)] = code
        if (kind, text) not in memo:
            memo[(kind, text)] = _from_code(env, kind, code)
    dump = getattr(store, "dump_codes", None)
    if dump is not None and len(codes) != known:
        dump(key, codes)


def _evaluate(
    env: jinja2.Environment, entry: FileEntry, what: str, expr: str, context: Mapping[str, Any]
) -> Any:
    try:
        compiled = _compiled(env, "expression", expr)
        value = compiled(**context)
        if isinstance(value, jinja2.Undefined):
            value._fail_with_undefined_error()
        return value
    except AsyncgenError:
        raise
    except Exception as err:
        raise _expression_error(entry, what, expr, err) from None


def check_path(text: str, entry: FileEntry, item: Any = None) -> PurePosixPath:
    """A safe relative output path, or a TemplateError naming the manifest entry."""
    element = f" for {describe_element(item)}" if item is not None else ""
    problem = None
    if not text.strip() or "\\" in text or "\0" in text:
        problem = "is empty or contains a backslash/NUL"
    else:
        path = PurePosixPath(text)
        if path.is_absolute() or ".." in path.parts:
            problem = "must be relative and stay inside the output directory"
        elif path.parts and path.parts[0] == RESERVED_DIR:
            problem = f"may not write into {RESERVED_DIR}/ (the engine's own files)"
        elif any(part.strip() != part or part in (".", "") for part in text.split("/")):
            problem = "has empty, '.' or space-padded parts"
    if problem:
        raise TemplateError(
            f"template set manifest {entry.describe()}: output path {text!r}{element} {problem}"
        )
    return PurePosixPath(text)


def plan(tset: TemplateSet, env: jinja2.Environment, context: Mapping[str, Any]) -> list[FileSpec]:
    """The files to render, in manifest order (then foreach order)."""
    precompile(tset, env)
    specs: list[FileSpec] = []
    seen: dict[PurePosixPath, FileSpec] = {}
    for entry in tset.files:
        if entry.when is not None and not _evaluate(env, entry, "when", entry.when, context):
            continue
        items: Iterable[Any]
        has_item = entry.foreach is not None
        if entry.foreach is not None:
            items = _evaluate(env, entry, "foreach", entry.foreach, context)
            if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
                raise TemplateError(
                    f"template set manifest {entry.describe()}: foreach {entry.foreach!r} "
                    f"gave {type(items).__name__}, not a list"
                )
        else:
            items = [None]
        try:
            path_template = _compiled(env, "template", entry.path)
        except jinja2.TemplateSyntaxError as err:
            raise _expression_error(entry, "path", entry.path, err) from None
        for item in items:
            try:
                text = path_template.render({**context, "item": item} if has_item else context)
            except AsyncgenError:
                raise
            except Exception as err:
                raise _expression_error(entry, "path", entry.path, err, item if has_item else None) from None
            path = check_path(text, entry, item if has_item else None)
            input_key = "spec"
            if entry.depends_on == "item":
                digest = canonical_hash(item)
                input_key = f"item:{digest}" if digest else "spec"
            spec = FileSpec(path, entry.template, entry.ownership, entry, item, has_item, input_key)
            if path in seen:
                other = seen[path]
                raise TemplateError(
                    f"two files would be written to {str(path)!r}: manifest {other.entry.describe()}"
                    + (f" for {describe_element(other.item)}" if other.has_item else "")
                    + f" and {entry.describe()}"
                    + (f" for {describe_element(item)}" if has_item else "")
                    + "; make the paths differ (e.g. use {{ item.ident }} in 'path')"
                )
            seen[path] = spec
            specs.append(spec)
    return specs
