"""``generate()``: the public pipeline the CLI calls, and library users too.

load -> validate -> parse -> models -> context -> plan -> render -> format -> write.
:func:`generate` starts from spec files; :func:`generate_from_api` from an
:class:`~asyncgen.model.Api` already in memory (tests, other front ends).

Settings come from, lowest priority first: the template set's defaults,
``[tool.asyncgen]`` in a ``pyproject.toml`` next to the spec, an ``asyncgen.yaml``
next to the spec, and the arguments (= command line).

The spec files are copied byte for byte into ``<out>/spec/`` (their layout relative
to their common folder kept), so the service carries its contract.

Incremental regeneration: each file's input hash covers the asyncgen version, the
template chain (every file's bytes), params, role/server/package/formatter and the
spec (source bytes; for ``depends_on: item`` files only the item's canonical form).
A file whose input hash and on-disk bytes match the manifest is neither rendered nor
formatted again. ``check`` renders everything (no shortcuts for CI).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from asyncgen import __version__, cachedir, dcgworker, format_chunks, plugins
from asyncgen.dcgworker import DcgWorker
from asyncgen.document import LoadOptions
from asyncgen.engine import engine_id
from asyncgen.errors import (
    AsyncgenError,
    Diagnostics,
    DriftError,
    GenerationError,
    Location,
    SpecError,
    SpecErrors,
)
from asyncgen.examples import ExampleCache, examples_engine, read_examples_cache, use_example_cache
from asyncgen.format_chunks import format_by_chunks
from asyncgen.gcpause import without_gc
from asyncgen.launch import cannot_be_up_to_date
from asyncgen.model import Api
from asyncgen.models_cache import build_models
from asyncgen.output import (
    LINE_LENGTH,
    MANIFEST_PATH,
    FileDrift,
    OutputFile,
    WriteResult,
    default_formatter,
    format_files,
    formatter_divergences,
    normalize_newlines,
    read_manifest,
    sha256,
    write_output,
)
from asyncgen.plan import RESERVED_DIR, canonical_hash
from asyncgen.render import Reuse, make_environment, preload, render, run_extensions
from asyncgen.schemas import ModelsModule
from asyncgen.templateset import TemplateSet, TemplateSetError, load_config, load_set

SPEC_DIR = "spec"
ROLES = ("app", "client")
DEFAULT_CONTEXT = "asyncgen.context:build_context"
# the caches' file names in the project's private cache folder (asyncgen.cachedir.project_dir)
MODELS_CACHE = "models-cache.json"
FORMAT_CACHE = "format-cache.json"
FORMAT_CACHE_VERSION = 1
EXAMPLES_CACHE = "examples-cache.json"
#: which top-level pieces the formatted files are made of (asyncgen.format_chunks)
CHUNKS_CACHE = "format-chunks.json"
#: the engine (asyncgen.engine.engine_id: version + code digest) of the last writing run
ENGINE_MARK = "engine"
#: where asyncgen < 0.x kept them: inside the output (committed, so never trusted): ignored, removed
LEGACY_CACHES = tuple(PurePosixPath(RESERVED_DIR) / n for n in (MODELS_CACHE, FORMAT_CACHE, EXAMPLES_CACHE))
NO_CACHE_REASON = "caches disabled (--no-cache or ASYNCGEN_NO_CACHE)"


@dataclass
class GenerateResult:
    out: Path
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: user-owned files left as they are
    skipped: list[str] = field(default_factory=list)
    #: user-owned files the templates would now write differently (reported, never touched)
    user_outdated: list[str] = field(default_factory=list)
    stale_kept: list[str] = field(default_factory=list)
    forced: list[str] = field(default_factory=list)
    drift: list[FileDrift] = field(default_factory=list)
    warnings: list[SpecError] = field(default_factory=list)
    #: paths rendered by Jinja in this run / taken unchanged from disk (incremental)
    rendered: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    models_cached: bool = False
    #: how models.py was made: "cached", "incremental" (dcg over the changed schema groups only) or "full"
    models_mode: str = "full"
    #: the schemas (defs) dcg ran over in this run
    models_regenerated: list[str] = field(default_factory=list)
    #: why a run with a models cache still ran dcg over everything
    models_fallback: str | None = None
    #: files rendered again whose formatted text was taken from disk (the format cache proved it)
    format_reused: list[str] = field(default_factory=list)
    #: files formatted again by their changed top-level pieces only (asyncgen.format_chunks)
    format_spliced: list[str] = field(default_factory=list)
    #: examples (context) taken from the examples cache instead of synthesised and validated again
    examples_reused: int = 0
    #: where dcg ran: "worker" (a forked, pre-warmed process), "in-process: <why>", None (not run)
    models_worker: str | None = None
    #: the project's private cache folder (None: this run used no cache, see cache_fallback)
    cache_dir: str | None = None
    #: why this run read and wrote no cache (disabled, or the folder is not safely ours)
    cache_fallback: str | None = None
    #: cache files an older asyncgen kept in OUT/.asyncgen/: never read; removed by a writing run
    legacy_caches: list[str] = field(default_factory=list)
    legacy_caches_removed: bool = False
    check: bool = False
    #: nothing was loaded or rendered: inputs, settings and outputs all matched the manifest
    up_to_date: bool = False

    @classmethod
    def from_write(cls, out: Path, written: WriteResult, **extra: Any) -> GenerateResult:
        """The result of a run whose files went through ``write_output``."""
        return cls(
            out=out,
            written=written.written,
            unchanged=written.unchanged,
            removed=written.removed,
            skipped=written.skipped,
            user_outdated=written.user_outdated,
            stale_kept=written.stale_kept,
            forced=written.forced,
            drift=written.drift,
            **extra,
        )

    @property
    def ok(self) -> bool:
        return not (self.check and self.drift)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "out": str(self.out),
            "check": self.check,
            "written": self.written,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "skipped": self.skipped,
            "user_outdated": self.user_outdated,
            "stale_kept": self.stale_kept,
            "forced": self.forced,
            "rendered": self.rendered,
            "reused": self.reused,
            "format_reused": self.format_reused,
            "format_spliced": self.format_spliced,
            "up_to_date": self.up_to_date,
            "models": {
                "mode": self.models_mode,
                "regenerated": self.models_regenerated,
                "fallback": self.models_fallback,
                "worker": self.models_worker,
            },
            "cache": {
                "dir": self.cache_dir,
                "fallback": self.cache_fallback,
                "legacy": self.legacy_caches,
                "legacy_removed": self.legacy_caches_removed,
            },
            "drift": [d.to_json() for d in self.drift] if self.check else [],
            "warnings": [w.to_json() for w in self.warnings],
        }

    def raise_for_drift(self) -> None:
        if self.check and self.drift:
            raise DriftError(
                f"{len(self.drift)} file(s) differ from a fresh generation: "
                + ", ".join(f"{d.path} ({d.kind})" for d in self.drift)
            )


def _context_builder(tset: TemplateSet) -> Callable[..., dict[str, Any]] | None:
    """The set's context function (manifest ``context: module:function`` or ``none``)."""
    spec = tset.context or DEFAULT_CONTEXT
    if spec == "none":
        return None
    module_name, _, func_name = spec.partition(":")
    if not module_name.startswith("asyncgen.") or not func_name:
        raise TemplateSetError(
            f"template set {tset.name!r}: context {spec!r} must be 'asyncgen.<module>:<function>'"
        )
    try:
        builder: Callable[..., dict[str, Any]] = getattr(importlib.import_module(module_name), func_name)
    except (ImportError, AttributeError) as err:
        raise TemplateSetError(
            f"template set {tset.name!r}: context {spec!r} cannot be loaded: {err}"
        ) from err
    return builder


def build_template_context(
    tset: TemplateSet,
    api: Api,
    *,
    role: str,
    server: str | None,
    package: str,
    params: Mapping[str, Any],
    models: ModelsModule,
) -> dict[str, Any]:
    base = {
        "api": api,
        "pkg": package,
        "params": dict(params),
        "role": role,
        "models": models,
        "asyncgen_version": __version__,
    }
    builder = _context_builder(tset)
    if builder is None:
        return base
    extra = builder(api, role=role, server=server, package=package, params=params, models=models)
    return {**extra, **base}


def _base_hash(parts: Mapping[str, Any]) -> str:
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _disk_reuse(out: Path, previous: Mapping[str, Any], formats: Mapping[str, list[str]]) -> Reuse:
    recorded: Mapping[str, Any] = previous.get("files", {})

    def reuse(path: PurePosixPath, input_hash: str) -> str | None:
        record = recorded.get(str(path))
        if not isinstance(record, dict) or record.get("input_hash") != input_hash:
            return None
        if _formatted(path) and formats.get(str(path), ["", ""])[1] != record.get("sha256"):
            return None  # render it: the format cache must hold every file, as after a cold run
        try:
            data = (out / path).read_bytes()
        except OSError:
            return None
        if sha256(data) != record.get("sha256"):
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return None

    return reuse


def _formatted(path: PurePosixPath) -> bool:
    return path.suffix in (".py", ".pyi")


def _formatter_id(name: str) -> str | None:
    """The formatter, its version and options (None: unknown version, so no format cache).

    ruff counts only when the binary that formats is the installed package's own (not one
    found on PATH, whose version nothing tells).
    """
    from importlib.metadata import PackageNotFoundError, version

    from asyncgen import output

    try:
        found = f"{name} {version(name)} {output.LINE_LENGTH} {output.TARGET_VERSION}"
    except PackageNotFoundError:
        return None
    if name == "ruff":
        packaged = output.packaged_ruff_bin()
        if packaged is None or output._ruff_bin() != packaged:
            return None
    return found


def read_format_cache(path: Path, formatter: str | None) -> dict[str, list[str]]:
    """``{output path: [sha256 of the rendered text, sha256 of its formatted bytes]}`` of the last run.

    Each entry is a fact the formatter established (formatting that text gives those
    bytes), so a stale entry is still true; entries of another formatter or version are not.
    """
    if formatter is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != FORMAT_CACHE_VERSION:
        return {}
    files = data.get("files")
    if data.get("formatter") != formatter or not isinstance(files, dict):
        return {}
    return {
        k: v
        for k, v in files.items()
        if isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) for x in v)
    }


def format_cache_bytes(formatter: str | None, files: Mapping[str, list[str]]) -> bytes:
    data = {"version": FORMAT_CACHE_VERSION, "formatter": formatter, "files": dict(sorted(files.items()))}
    return (json.dumps(data, separators=(",", ":")) + "\n").encode("utf-8")  # compact: the C encoder


def _format_reusing(
    fresh: Mapping[PurePosixPath, str],
    formatter: str,
    origins: Mapping[PurePosixPath, str],
    out: Path,
    formats: Mapping[str, list[str]],
    *,
    chunks: Mapping[str, Any] | None = None,
    encoded: dict[PurePosixPath, tuple[bytes, str]] | None = None,
) -> tuple[dict[PurePosixPath, str], dict[str, list[str]], list[str], dict[str, Any], list[str]]:
    """``format_files(fresh)``, taking a file from disk when it holds the formatted text already.

    A rendered text whose hash the format cache maps to the bytes on disk is not formatted
    again (the formatter is deterministic). ``chunks``: the records of
    :mod:`asyncgen.format_chunks` (ruff, incremental runs): a file formatted again is then
    formatted by its new top-level pieces only. Returns the texts, the cache entries of
    ``fresh``, the paths taken from disk, the chunk records of the files formatted and the
    paths formatted by pieces. ``encoded`` receives the UTF-8 bytes and their sha256 of the
    formatted files (hashed here already: the manifest need not hash them again).
    """
    texts = {p: normalize_newlines(t) for p, t in fresh.items()}
    raw = {p: sha256(t.encode("utf-8")) for p, t in texts.items() if _formatted(p)}
    done: dict[PurePosixPath, str] = {}
    known: dict[PurePosixPath, tuple[bytes, str]] = {} if encoded is None else encoded
    for path, digest in raw.items():
        record = formats.get(str(path))
        if record is None or record[0] != digest:
            continue
        try:
            data = (out / path).read_bytes()
        except OSError:
            continue
        if sha256(data) == record[1]:
            try:
                done[path] = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            known[path] = (data, record[1])
    pending = {p: t for p, t in texts.items() if p not in done}
    records: dict[str, Any] = {}
    spliced: list[str] = []
    if chunks is not None and formatter == "ruff":
        made, records, spliced = format_by_chunks(
            pending, chunks, out, lambda files: format_files(files, formatter, origins)
        )
    else:
        made = format_files(pending, formatter, origins)
    formatted = {**made, **done}
    for path in raw:
        if path not in done:
            data = formatted[path].encode("utf-8")
            known[path] = (data, sha256(data))
    # a file taken from disk hashes to what its record says (checked above)
    entries = {str(p): [raw[p], known[p][1]] for p in raw}
    return formatted, entries, sorted(str(p) for p in done), records, spliced


def spec_copies(files: Mapping[str, bytes]) -> list[OutputFile]:
    """``spec/<path>`` copies of the source files: the root spec first, paths relative to its folder.

    Files outside that folder (``--allow-outside``, ``--map-url``) go to
    ``spec/_external/<hash>/<name>`` so no absolute path ever reaches the output.
    """
    if not files:
        return []
    names = list(files)
    root = Path(names[0]).absolute().parent
    out: list[OutputFile] = []
    for name, data in files.items():
        path = Path(name).absolute()
        if path.is_relative_to(root):
            relative = path.relative_to(root).as_posix()
        else:
            relative = f"_external/{sha256(str(path.parent).encode())[:12]}/{path.name}"
        digest = sha256(data)
        out.append(
            OutputFile(PurePosixPath(SPEC_DIR) / relative, data, "generated", "<spec>", digest, digest)
        )
    return out


@without_gc
def generate_from_api(
    api: Api,
    out: Path,
    *,
    sources: Mapping[str, bytes] | None = None,
    template_set: str | Path = "service",
    templates_dir: Path | None = None,
    params: Mapping[str, Any] | None = None,
    param_layers: tuple[tuple[str, Mapping[str, Any]], ...] = (),
    role: str = "app",
    server: str | None = None,
    package: str | None = None,
    formatter: str | None = None,
    check: bool = False,
    force: bool = False,
    warnings: list[SpecError] | None = None,
    run_key: str | None = None,
    api_key: str | None = None,
    filters_file: Path | None = None,
    fail_on_warning: bool = False,
    dcg_worker: DcgWorker | None = None,
    cache: bool = True,
    loaded_set: TemplateSet | None = None,
    templates_fingerprint: str | None = None,
    entry_points: list[Any] | None = None,
) -> GenerateResult:
    """Generate ``out`` from an Api in memory; ``sources`` (path -> bytes) are copied to ``spec/``.

    ``run_key`` (from :func:`generate`) is recorded so the next identical run can skip everything.
    ``dcg_worker`` (:func:`asyncgen.dcgworker.start`): where dcg runs, if it must (same bytes).
    ``cache=False`` (or ``ASYNCGEN_NO_CACHE=1``): read and write no cache (same bytes, slower).
    ``loaded_set``: ``load_set(template_set, templates_dir)``, when the caller loaded it already;
    ``templates_fingerprint`` (its ``fingerprint()``) and ``entry_points``
    (:func:`asyncgen.plugins.installed`), when the caller computed them in this run.
    Caches live in the user's private cache folder (:func:`asyncgen.cachedir.project_dir`),
    never in ``out``: what is in ``out`` comes from the repository, so it is never trusted.
    """
    out = Path(out)
    if role not in ROLES:
        raise GenerationError(f"role {role!r} is not one of: {', '.join(ROLES)}")
    tset = loaded_set if loaded_set is not None else load_set(template_set, templates_dir)
    # every template file's bytes: read once per run
    fingerprint = templates_fingerprint if templates_fingerprint is not None else tset.fingerprint()
    extensions = run_extensions(Path(filters_file) if filters_file is not None else None, entry_points)
    values = tset.resolve_params(*param_layers, ("the command line", params or {}))
    pkg = package or api.package
    chosen_formatter = formatter or default_formatter()
    previous = read_manifest(out)
    formatter_id = _formatter_id(chosen_formatter)
    caching = cache and not cachedir.disabled_by_env()
    if caching:
        cache_dir, cache_fallback = cachedir.project_dir(out, create=not check)  # --check writes nothing
    else:
        cache_dir, cache_fallback = None, NO_CACHE_REASON
    # files on disk are reused by their recorded input hash only when the last writing run was
    # this very engine: the manifest records the version, and a checkout's code changes under it
    incremental = bool(previous) and not check and _same_engine(cache_dir)
    legacy = [str(p) for p in LEGACY_CACHES if os.path.lexists(out / p)]  # never read
    formats = read_format_cache(cache_dir / FORMAT_CACHE, formatter_id) if incremental and cache_dir else {}
    chunks_key = format_chunks.cache_key(engine_id(), formatter_id) if formatter_id else None
    chunks = (
        format_chunks.read_records(cache_dir / CHUNKS_CACHE, chunks_key)
        if incremental and cache_dir and chunks_key and chosen_formatter == "ruff"
        else None
    )

    engine = examples_engine()
    previous_examples = (
        read_examples_cache(cache_dir / EXAMPLES_CACHE, engine) if incremental and cache_dir else {}
    )
    examples = ExampleCache(previous_examples, engine)
    env = make_environment(tset, extensions)
    if not caching:  # --no-cache (ASYNCGEN_NO_CACHE turns it off in make_environment already)
        env.bytecode_cache = None
    ahead: list[bool] = []

    def meanwhile() -> None:
        """What needs no models, done while dcg runs in its worker (the main process would idle)."""
        if ahead:
            return  # a refused incremental run is followed by a full one
        ahead.append(True)
        try:
            uses_context = _context_builder(tset) is not None  # its module imported now
        except TemplateSetError:
            uses_context = False  # build_template_context reports it
        if uses_context:
            examples.prefetch(api.messages, {d.name: dict(d.schema) for d in api.schemas}, dcg_worker)
        preload(tset, env)

    # --check reuses the models cache too (ours, not the repository's): an incremental run
    # proves itself equal to a full one (but prepares every schema itself: memo=False)
    models_path = cache_dir / MODELS_CACHE if previous and cache_dir else None
    models_run = build_models(api, models_path, dcg_worker, meanwhile, memo=not check)
    if dcg_worker is not None:
        dcg_worker.close(wait=False)  # done, or unused when the models came from the cache
    models, models_cache = models_run.module, models_run.cache
    with use_example_cache(examples):
        context = build_template_context(
            tset, api, role=role, server=server, package=pkg, params=values, models=models
        )
    spec_files = spec_copies(sources or {})
    settings = {
        "asyncgen": __version__,  # recorded in the manifest: the version, not the code digest
        "templates": fingerprint,
        "params": values,
        "role": role,
        "server": server,
        "package": pkg,
        "formatter": chosen_formatter,
        "class_names": dict(models.class_names),
        "filters": extensions.digest if extensions else None,
    }
    item_base_hash = _base_hash(settings)
    base_hash = _base_hash(
        {
            **settings,
            # generate() passes a key derived from the spec's bytes (it decides the IR); an Api
            # built in memory is keyed by its canonical form (slow on big specs, always sound)
            "api": api_key or canonical_hash(api) or os.urandom(16).hex(),
            "models": sha256(models_cache),  # its digest: the text escaped into JSON cost ~7 ms
            "sources": sorted((str(f.path), f.input_hash) for f in spec_files),
        }
    )
    rendered = render(
        tset,
        context,
        base_hash=base_hash,
        item_base_hash=item_base_hash,
        reuse=_disk_reuse(out, previous, formats) if incremental else None,
        env=env,
    )
    fresh = {path: r.text for path, r in rendered.items() if not r.reused}
    origins = {p: r.template for p, r in rendered.items()}
    encoded: dict[PurePosixPath, tuple[bytes, str]] = {}
    formatted, format_entries, format_reused, chunk_records, format_spliced = _format_reusing(
        fresh, chosen_formatter, origins, out, formats, chunks=chunks, encoded=encoded
    )
    for path, r in rendered.items():
        if r.reused and _formatted(path):
            format_entries[str(path)] = formats[str(path)]
    if chunks is not None:  # kept too: the records of the files not formatted in this run
        formatted_now = {str(p) for p in fresh if _formatted(p)} - set(format_reused)
        chunk_records = {
            **{p: r for p, r in chunks.items() if p in format_entries and p not in formatted_now},
            **chunk_records,
        }
    notes = list(warnings or [])
    notes.extend(
        SpecError(text, Location(api.source or "<models>"), severity="warning") for text in models.warnings
    )
    for path, line, _ in formatter_divergences({p: formatted[p] for p in fresh}):
        notes.append(
            SpecError(
                f"line longer than {LINE_LENGTH} ending in a pragma comment: ruff and black format it "
                f"differently (template {rendered[path].template}); keep pragma lines short",
                Location(str(path), line),
                severity="warning",
            )
        )
    if fail_on_warning and notes:
        raise SpecErrors(notes)  # before anything is written

    files: list[OutputFile] = []
    for path, r in rendered.items():
        if path in encoded and not r.reused:
            data, digest = encoded[path]
            files.append(OutputFile(path, data, r.ownership, r.template, r.input_hash, digest))
            continue
        text = r.text if r.reused else formatted[path]
        files.append(OutputFile(path, text.encode("utf-8"), r.ownership, r.template, r.input_hash))
    clash = {f.path for f in files} & {f.path for f in spec_files}
    if clash:
        raise GenerationError(
            f"the template set writes into {SPEC_DIR}/, where the spec copies go: {sorted(map(str, clash))}"
        )
    files.extend(spec_files)
    files.sort(key=lambda f: str(f.path))

    meta = {
        "run_key": run_key,
        "asyncgen_version": __version__,
        "template_set": tset.name,
        "templates_sha256": fingerprint,
        "params": values,
        "role": role,
        "server": server,
        "package": pkg,
        "formatter": chosen_formatter,
        "inputs": {str(f.path): f.input_hash for f in spec_files},
        "extra_dependencies": list(models.extra_dependencies),
    }
    written: WriteResult = write_output(files, out, meta=meta, check=check, force=force, previous=previous)
    legacy_removed = False
    if not check:
        if cache_dir is not None:
            chunk_files = (
                [(CHUNKS_CACHE, format_chunks.records_bytes(chunks_key, chunk_records))]
                if chunks_key and chunks is not None
                else []
            )
            for name, data in (
                (MODELS_CACHE, models_cache),
                (FORMAT_CACHE, format_cache_bytes(formatter_id, format_entries)),
                (EXAMPLES_CACHE, examples.to_bytes()),
                (ENGINE_MARK, engine_id().encode()),
                *chunk_files,
            ):
                cache_fallback = cachedir.write_bytes(cache_dir, name, data) or cache_fallback
            cachedir.touch(cache_dir)
            cachedir.prune()  # other projects' folders unused for a month; at most once a day
        legacy_removed = _remove_legacy_caches(out, legacy)
    return GenerateResult.from_write(
        out,
        written,
        warnings=notes,
        rendered=sorted(str(p) for p, r in rendered.items() if not r.reused),
        reused=sorted(str(p) for p, r in rendered.items() if r.reused),
        models_cached=models_run.mode == "cached",
        models_mode=models_run.mode,
        models_regenerated=list(models_run.regenerated),
        models_fallback=models_run.reason,
        models_worker=dcg_worker.note if dcg_worker is not None and dcg_worker.used else None,
        format_reused=format_reused,
        format_spliced=format_spliced,
        examples_reused=examples.hits,
        check=check,
        cache_dir=str(cache_dir) if cache_dir is not None else None,
        cache_fallback=cache_fallback,
        legacy_caches=legacy,
        legacy_caches_removed=legacy_removed,
    )


def _remove_legacy_caches(out: Path, names: list[str]) -> bool:
    """Delete the cache files an older asyncgen wrote into ``OUT/.asyncgen/`` (ours: the reserved folder)."""
    for name in names:
        try:
            (out / name).unlink(missing_ok=True)
        except OSError as err:
            raise AsyncgenError(f"cannot remove the old cache file {out / name}: {err.strerror}") from None
    return bool(names)


def generate(
    spec: Path,
    out: Path,
    *,
    template_set: str | Path = "service",
    templates_dir: Path | None = None,
    params: Mapping[str, Any] | None = None,
    role: str | None = None,
    server: str | None = None,
    package: str | None = None,
    formatter: str | None = None,
    check: bool = False,
    force: bool = False,
    load_options: LoadOptions = LoadOptions(),  # noqa: B008 - frozen dataclass
    fail_on_warning: bool = False,
    filters_file: Path | None = None,
    companions: tuple[Path, ...] = (),
    cache: bool = True,
) -> GenerateResult:
    """Generate the project for ``spec`` into ``out`` (see the module docstring).

    ``cache=False``: no cache is read or written (see :func:`generate_from_api`).

    ``filters_file``: a Python file with ``FILTERS``/``TESTS`` dicts for the templates.
    ``companions``: more spec files for the same service (an AsyncAPI document's OpenAPI
    API with callbacks/webhooks), combined by :func:`asyncgen.combine.combine`.
    """
    spec = Path(spec)
    # a run that cannot be up to date forks dcg's worker first (its start-up overlaps everything
    # up to the models: reading settings and templates, loading, validating, parsing)
    early = cannot_be_up_to_date(
        out, cache=cache, check=check, fail_on_warning=fail_on_warning, allow_remote=load_options.allow_remote
    )
    worker = dcgworker.start() if early else None
    try:
        return _settle(
            spec, Path(out), worker, template_set=template_set, templates_dir=templates_dir, params=params,
            role=role, server=server, package=package, formatter=formatter, check=check, force=force,
            load_options=load_options, fail_on_warning=fail_on_warning, filters_file=filters_file,
            companions=companions, cache=cache,
        )  # fmt: skip
    finally:
        if worker is not None:
            worker.close()


def _settle(
    spec: Path,
    out: Path,
    worker: DcgWorker | None,
    *,
    template_set: str | Path,
    templates_dir: Path | None,
    params: Mapping[str, Any] | None,
    role: str | None,
    server: str | None,
    package: str | None,
    formatter: str | None,
    check: bool,
    force: bool,
    load_options: LoadOptions,
    fail_on_warning: bool,
    filters_file: Path | None,
    companions: tuple[Path, ...],
    cache: bool,
) -> GenerateResult:
    """:func:`generate` once ``worker`` (dcg's worker) is forked, or None: forked here when the
    up-to-date shortcut does not apply."""
    config = load_config(spec)
    if config.map_url:
        load_options = LoadOptions(
            allow_remote=load_options.allow_remote,
            map_urls=(*load_options.map_urls, *config.map_url),
            allow_outside=load_options.allow_outside,
            max_bytes=load_options.max_bytes,
            max_depth=load_options.max_depth,
            max_nodes=load_options.max_nodes,
        )
    templates = templates_dir or config.templates
    layers = tuple((name, config.params) for name in [" and ".join(config.sources)] if config.params)
    chosen_role: str = role or config.role or "app"
    chosen_formatter: str = formatter or config.formatter or default_formatter()
    chosen_server, chosen_package = server or config.server, package or config.package
    settings = {
        "role": chosen_role,
        "server": chosen_server,
        "package": chosen_package,
        "formatter": chosen_formatter,
    }
    tset = load_set(template_set, templates)
    fingerprint = tset.fingerprint()
    entry_points = plugins.installed()
    run_key = _base_hash(
        {
            **settings,
            "asyncgen": __version__,
            "dcg": _dcg_version(),
            "set": tset.name,
            "templates": fingerprint,
            "params": tset.resolve_params(*layers, ("the command line", params or {})),
            "load_options": repr(load_options),
            "filters": _file_digest(filters_file),
            "filter_entry_points": plugins.digest(entry_points),
            "companions": [str(c) for c in companions],
        }
    )
    # remote refs may change; --no-cache reads nothing of an earlier run but the manifest
    if cache and not check and not fail_on_warning and not load_options.allow_remote:
        done = _up_to_date(spec, Path(out), run_key)
        if done is not None:
            return done
    # dcg's start-up (imports, its config models: 0.3-0.5 s) overlaps loading, validating, parsing
    if worker is None:
        worker = dcgworker.start()
    with worker:
        return _generate(
            spec, out, worker, load_options=load_options, layers=layers, templates=templates,
            run_key=run_key, check=check, force=force,
            params=params, template_set=template_set, filters_file=filters_file,
            fail_on_warning=fail_on_warning, companions=companions, role=chosen_role,
            server=chosen_server, package=chosen_package, formatter=chosen_formatter, cache=cache,
            tset=tset, fingerprint=fingerprint, entry_points=entry_points,
        )  # fmt: skip


@without_gc  # a run allocates millions of long-lived objects: collecting costs ~20% of its CPU
def _generate(
    spec: Path,
    out: Path,
    worker: DcgWorker,
    *,
    load_options: LoadOptions,
    layers: tuple[tuple[str, Mapping[str, Any]], ...],
    templates: Path | None,
    run_key: str,
    check: bool,
    force: bool,
    params: Mapping[str, Any] | None,
    template_set: str | Path,
    filters_file: Path | None,
    fail_on_warning: bool,
    companions: tuple[Path, ...],
    role: str,
    server: str | None,
    package: str | None,
    formatter: str,
    cache: bool,
    tset: TemplateSet,
    fingerprint: str,
    entry_points: list[Any],
) -> GenerateResult:
    from asyncgen.load import load
    from asyncgen.parse import parse
    from asyncgen.validate import validate

    docs = [load(path, load_options) for path in (spec, *companions)]
    # validation's memo of entries without problems (asyncgen.validate.memo): off like every cache
    memo_dir = None
    if cache and not check and not cachedir.disabled_by_env():
        memo_dir = cachedir.project_dir(out)[0]
    problems = [p for doc in docs for p in validate(doc, memo_dir)]
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise SpecErrors(errors)
    diagnostics = Diagnostics()
    apis = [parse(doc, diagnostics) for doc in docs]
    if len(apis) > 1:
        from asyncgen.combine import combine

        api = combine(apis)
    else:
        api = apis[0]
    warnings = [p for p in problems if p.severity != "error"] + diagnostics.warnings
    if fail_on_warning and warnings:
        raise SpecErrors(warnings)
    sources: dict[str, bytes] = {}
    for path in dict.fromkeys(f for doc in docs for f in doc.files):
        try:
            sources[str(path)] = Path(path).read_bytes()
        except OSError as err:
            raise AsyncgenError(f"cannot read {path} again to copy it into the output: {err}") from None
    return generate_from_api(
        api,
        out,
        sources=sources,
        template_set=template_set,
        templates_dir=templates,
        params=params,
        param_layers=layers,
        check=check,
        force=force,
        warnings=warnings,
        run_key=run_key,
        filters_file=filters_file,
        fail_on_warning=fail_on_warning,
        # keyed like the spec copies (relative to the root spec's folder): the same files named
        # `specs/x.yaml` or `/abs/specs/x.yaml` are the same input (no manifest churn)
        api_key=_base_hash({"sources": {str(c.path): c.input_hash for c in spec_copies(sources)}}),
        role=role,
        server=server,
        package=package,
        formatter=formatter,
        dcg_worker=worker,
        cache=cache,
        loaded_set=tset,
        templates_fingerprint=fingerprint,
        entry_points=entry_points,
    )


def _file_digest(path: Path | None) -> str | None:
    try:
        return sha256(Path(path).read_bytes()) if path is not None else None
    except OSError:
        return "unreadable"  # load_user_extensions reports it


def _dcg_version() -> str:
    """Without importing dcg (slow): the no-change path must stay cheap."""
    from importlib.metadata import version

    return version("datamodel-code-generator")


def _same_engine(cache_dir: Path | None) -> bool:
    """The last writing run into this output was this engine (its mark in the private cache)."""
    if cache_dir is None:
        return False
    return cachedir.read_bytes(cache_dir, ENGINE_MARK) == engine_id().encode()


def _up_to_date(spec: Path, out: Path, run_key: str) -> GenerateResult | None:
    """The result of a run that would change nothing, when the manifest proves it; else None.

    Proof: same run key (asyncgen and dcg versions, template bytes, params, settings, load
    options), every spec file recorded in the manifest byte-identical beside ``spec``, and
    every generated file on disk still as written (user files present).
    """
    previous = read_manifest(out)
    inputs = previous.get("inputs")
    if previous.get("run_key") != run_key or not isinstance(inputs, dict):
        return None
    cache_dir = None if cachedir.disabled_by_env() else cachedir.project_dir(out, create=False)[0]
    if not _same_engine(cache_dir):
        return None  # written by other code under the same version (a checkout), or unknown: render
    if any(os.path.lexists(out / p) for p in LEGACY_CACHES):
        return None  # a full run removes them
    if f"{SPEC_DIR}/{spec.name}" not in inputs:
        return None
    for name, digest in inputs.items():
        relative = PurePosixPath(name).relative_to(SPEC_DIR)
        if relative.parts[0] == "_external" or ".." in relative.parts:
            return None
        try:
            if sha256((spec.parent / relative).read_bytes()) != digest:
                return None
        except OSError:
            return None
    files: dict[str, Any] = previous["files"]
    for name, record in files.items():
        try:
            data = (out / name).read_bytes()
        except OSError:
            return None
        if record.get("ownership") != "user" and sha256(data) != record.get("sha256"):
            return None
    cachedir.touch(cache_dir)
    return GenerateResult(
        out=out,
        unchanged=sorted(files),
        reused=sorted(n for n in files if not n.startswith(f"{SPEC_DIR}/")),
        models_cached=True,
        models_mode="cached",
        up_to_date=True,
    )


__all__ = ["MANIFEST_PATH", "GenerateResult", "generate", "generate_from_api"]
