"""Render a template set into memory: ``{path: RenderedFile}``, never writing.

The environment: ``StrictUndefined``, ``keep_trailing_newline``, no autoescape (code)
unless the set's manifest says ``autoescape: true`` (HTML sets), the ``do`` and
``loopcontrols`` extensions, the filters of
:mod:`asyncgen.filters`, and a global ``fail(message)`` a template calls to refuse a
spec it cannot generate faithfully.

Lookup chain: ``ChoiceLoader([user_dir, set_dir])`` so a user's file replaces the
built-in one of the same name, and ``{% extends/include/import %}`` resolve through the
same chain. ``"builtin:<name>"`` always reaches the set's own file, so a user template
can extend the template it replaces and override one block::

    {% extends "builtin:consumers.py.j2" %}
    {% block handlers %}...{% endblock %}

Errors (syntax, undefined variables, exceptions inside a template) become
:class:`TemplateRenderError` naming the template file and line (innermost first, then
the templates that included it) and the spec element being rendered (``item``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import CodeType, TracebackType
from typing import Any, NoReturn

import jinja2

from asyncgen.errors import AsyncgenError, GenerationError, TemplateError
from asyncgen.filters import FILTERS
from asyncgen.plan import FileSpec, describe_element, plan, precompile
from asyncgen.plugins import read_extensions
from asyncgen.templateset import TemplateSet

BUILTIN_PREFIX = "builtin"


@dataclass(frozen=True)
class RenderedFile:
    path: PurePosixPath
    text: str
    ownership: str
    template: str
    input_hash: str
    #: True when the text was taken from disk because nothing it depends on changed
    reused: bool = False


class TemplateRenderError(TemplateError):
    """A template failed; ``template``/``line`` are the innermost template frame."""

    def __init__(self, message: str, template: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.template = template
        self.line = line


def _fail(message: str) -> NoReturn:
    raise GenerationError(str(message))


@dataclass(frozen=True)
class UserExtensions:
    """A team's own filters and tests (``--filters FILE``), and the file's sha256."""

    filters: Mapping[str, Callable[..., Any]]
    tests: Mapping[str, Callable[..., Any]]
    digest: str = ""


def load_user_extensions(path: Path) -> UserExtensions:
    """Import ``path`` (a Python file) and take its ``FILTERS`` / ``TESTS`` dicts of callables.

    They may replace built-in filters (e.g. a house ``class_name``); a replacement must
    keep the safety promise of the filter it replaces.
    """
    try:
        data = path.read_bytes()
    except OSError as err:
        raise TemplateError(f"--filters {path}: cannot read: {err}") from None
    spec = importlib.util.spec_from_file_location(
        f"asyncgen_user_filters_{hashlib.sha256(data).hexdigest()[:12]}", path
    )
    if spec is None or spec.loader is None:
        raise TemplateError(f"--filters {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as err:
        raise TemplateError(f"--filters {path}: importing it failed: {type(err).__name__}: {err}") from None
    filters, tests = read_extensions(module, f"--filters {path}")
    return UserExtensions(filters, tests, hashlib.sha256(data).hexdigest())


def run_extensions(filters_file: Path | None, entry_points: list[Any] | None = None) -> UserExtensions | None:
    """The filters/tests of a run: installed ``asyncgen.filters`` entry points, then ``--filters``.

    The file's names win over the entry points' (an explicit choice for this run).
    ``entry_points``: :func:`asyncgen.plugins.installed`, when the run listed them already.
    """
    from asyncgen import plugins

    installed = plugins.load(entry_points)
    own = load_user_extensions(Path(filters_file)) if filters_file is not None else None
    if installed is None:
        return own
    (filters, tests), digest = installed
    if own is None:
        return UserExtensions(filters, tests, digest)
    return UserExtensions({**filters, **own.filters}, {**tests, **own.tests}, f"{digest}+{own.digest}")


def make_environment(tset: TemplateSet, extensions: UserExtensions | None = None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = [
        jinja2.PrefixLoader({BUILTIN_PREFIX: jinja2.FileSystemLoader(tset.base_dir)}, delimiter=":"),
        *(jinja2.FileSystemLoader(d) for d in tset.search_path),
    ]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=tset.autoescape,
        auto_reload=False,
        extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"],
    )
    env.filters.update(FILTERS)
    env.globals["fail"] = _fail
    if extensions is not None:
        env.filters.update(extensions.filters)
        env.tests.update(extensions.tests)
    env.bytecode_cache = _bytecode_cache(env)
    return env


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Jinja's bytecode cache in a private per-user folder, keyed by the environment too.

    Compiling the templates is ~40% of rendering them; the compiled code depends on the
    template's source (Jinja checks its hash), its name and file, Jinja and Python versions,
    and the environment: autoescape, extensions, filter and test names. All of it is in the key.
    The folder: ``$XDG_CACHE_HOME/asyncgen/templates`` (default ``~/.cache``), ours only
    (:func:`asyncgen.cachedir.private_dir`: 0700, owned by us, no symlink) - never the output
    folder (it holds code objects), nor the temp folder (``asyncgen demo`` leaves that clean).
    ``ASYNCGEN_TEMPLATE_CACHE=0`` or ``ASYNCGEN_NO_CACHE=1`` (``--no-cache``) turns it off.
    """

    def __init__(self, directory: str, fingerprint: str) -> None:
        super().__init__(directory, pattern="%s.cache")
        self.fingerprint = fingerprint

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        text = "\0".join((self.fingerprint, name, filename or ""))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _codes_path(self, key: str) -> Path:
        return Path(self.directory) / (self.get_cache_key(f"<manifest {key}>") + ".codes")

    def load_codes(self, key: str) -> dict[tuple[str, str], CodeType]:
        """The code objects :meth:`dump_codes` kept for ``key`` (the manifest's expressions,
        :func:`asyncgen.plan.precompile`); ``{}`` when none, or anything does not fit."""
        try:
            data = self._codes_path(key).read_bytes()
        except OSError:
            return {}
        if not data.startswith(_CODES_MAGIC):
            return {}
        try:
            codes = marshal.loads(data[len(_CODES_MAGIC) :])
        except (EOFError, ValueError, TypeError):
            return {}
        if not isinstance(codes, dict) or not all(
            isinstance(k, tuple)
            and len(k) == 2
            and all(isinstance(x, str) for x in k)
            and isinstance(v, CodeType)
            for k, v in codes.items()
        ):
            return {}
        return codes

    def dump_codes(self, key: str, codes: Mapping[tuple[str, str], CodeType]) -> None:
        """Keep ``codes`` for :meth:`load_codes` (atomically; a cache that cannot be written is skipped)."""
        path = self._codes_path(key)
        try:
            fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(_CODES_MAGIC + marshal.dumps(dict(codes)))
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError:
            pass


#: what a file of :meth:`_CompiledTemplates.dump_codes` starts with (the rest: marshal data, whose
#: format is Python's own: the Python version is in the environment's key)
_CODES_MAGIC = b"asyncgen manifest codes 1\n"


def _bytecode_cache(env: jinja2.Environment) -> jinja2.BytecodeCache | None:
    import sys

    from asyncgen import cachedir

    if os.environ.get("ASYNCGEN_TEMPLATE_CACHE", "1") == "0" or cachedir.disabled_by_env():
        return None
    fingerprint = repr(
        (
            jinja2.__version__,
            sys.version,
            env.autoescape if isinstance(env.autoescape, bool) else None,
            sorted(env.extensions),
            sorted(env.filters),
            sorted(env.tests),
            env.undefined.__qualname__,
            env.keep_trailing_newline,
            env.trim_blocks,
            env.lstrip_blocks,
            env.optimized,
        )
    )
    if not isinstance(env.autoescape, bool):
        return None  # a function: its behaviour is not in the key
    directory, _ = cachedir.private_dir("templates")
    return _CompiledTemplates(str(directory), fingerprint) if directory is not None else None


def _template_frames(tb: TracebackType | None, names: Mapping[str, str]) -> list[tuple[str, int]]:
    """(template display name, line) of every template frame, outermost first."""
    frames: list[tuple[str, int]] = []
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename in names:
            frame = (names[filename], tb.tb_lineno)
            if not frames or frames[-1] != frame:
                frames.append(frame)
        tb = tb.tb_next
    return frames


def _display_names(tset: TemplateSet) -> dict[str, str]:
    """Absolute template filename -> what we show (the path as the user would find it)."""
    names: dict[str, str] = {}
    for directory in tset.search_path:
        for path in directory.rglob("*"):
            if path.is_file():
                names[str(path)] = str(path)
                names[str(path.resolve())] = str(path)
    return names


def _wrap(err: Exception, spec: FileSpec | None, tset: TemplateSet, what: str) -> TemplateRenderError:
    element = f"; while rendering {describe_element(spec.item)}" if spec is not None and spec.has_item else ""
    target = f" (output {str(spec.path)!r})" if spec is not None else ""
    if isinstance(err, jinja2.TemplateSyntaxError):
        where = err.filename or err.name or what
        return TemplateRenderError(
            f"{where}:{err.lineno}: template syntax error: {err.message}{target}{element}",
            where,
            err.lineno,
        )
    frames = _template_frames(err.__traceback__, _display_names(tset))
    if frames:
        template, line = frames[-1]
        via = "".join(f"\n    included from {name}:{lineno}" for name, lineno in reversed(frames[:-1]))
    else:
        template, line, via = what, 0, ""
    kind = "undefined variable" if isinstance(err, jinja2.UndefinedError) else type(err).__name__
    detail = err.message if isinstance(err, AsyncgenError) else str(err)
    return TemplateRenderError(f"{template}:{line}: {kind}: {detail}{target}{element}{via}", template, line)


def file_input_hash(base_hash: str, spec: FileSpec, item_base_hash: str | None = None) -> str:
    """What a file's output depends on: the run's base hash, its template, path and item.

    A ``depends_on: item`` file uses ``item_base_hash`` (settings and templates, not the
    whole spec) plus its item's canonical hash, so other channels' changes leave it alone.
    """
    base = item_base_hash if item_base_hash is not None and spec.input_key != "spec" else base_hash
    text = "\0".join((base, spec.template, str(spec.path), spec.ownership, spec.input_key))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


#: ``reuse(path, input_hash)`` -> the file's current text when it need not be rendered again
Reuse = Callable[[PurePosixPath, str], str | None]


def render(
    tset: TemplateSet,
    context: Mapping[str, Any],
    *,
    base_hash: str = "",
    item_base_hash: str | None = None,
    reuse: Reuse | None = None,
    env: jinja2.Environment | None = None,
) -> dict[PurePosixPath, RenderedFile]:
    """Plan and render every file of ``tset`` in memory (manifest order)."""
    env = env or make_environment(tset)
    specs = plan(tset, env, context)
    out: dict[PurePosixPath, RenderedFile] = {}
    for spec in specs:
        input_hash = file_input_hash(base_hash, spec, item_base_hash)
        existing = reuse(spec.path, input_hash) if reuse is not None else None
        if existing is not None:
            out[spec.path] = RenderedFile(
                spec.path, existing, spec.ownership, spec.template, input_hash, True
            )
            continue
        out[spec.path] = RenderedFile(
            spec.path, render_one(env, tset, spec, context), spec.ownership, spec.template, input_hash
        )
    return out


def preload(tset: TemplateSet, env: jinja2.Environment) -> None:
    """Load the manifest's templates into ``env`` (compiled, or from the bytecode cache) and compile
    its expressions, ahead of :func:`render` (a cold run does it while dcg runs in its worker).
    Errors are left for :func:`render` to report, as it would without this."""
    precompile(tset, env)
    for name in dict.fromkeys(entry.template for entry in tset.files):
        try:
            env.get_template(name)
        except (jinja2.TemplateError, OSError):
            continue


def render_one(env: jinja2.Environment, tset: TemplateSet, spec: FileSpec, context: Mapping[str, Any]) -> str:
    try:
        template = env.get_template(spec.template)
        variables = {**context, "item": spec.item} if spec.has_item else context
        return template.render(variables)
    except jinja2.TemplateNotFound as err:
        searched = ", ".join(str(d) for d in tset.search_path)
        raise TemplateRenderError(
            f"template {err.name!r} not found (manifest {spec.entry.describe()}); searched: {searched}"
        ) from None
    except TemplateRenderError:
        raise
    except Exception as err:
        raise _wrap(err, spec, tset, spec.template) from None


def template_path(tset: TemplateSet, name: str) -> Path | None:
    """The file the chain serves for ``name`` (the user's copy first)."""
    for directory in tset.search_path:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None
