"""Format and write: rendered text -> files on disk, atomically, with a manifest.

Formatting (``.py`` files only): ``ruff`` (default when installed: one ``ruff format``
process for all files) or ``black`` (in-process ``black.format_str``). Both run with
line length :data:`LINE_LENGTH` (black's default, so a plain ``black .`` or
``ruff format`` in the generated project changes nothing) and target py311, and give
identical bytes (tested). Neither sorts imports: templates and ``models.py`` emit
imports already sorted. Every text file gets ``\\n`` line endings.

Writing (:func:`write_output`): everything is in memory first. A new output
directory is built beside OUT and renamed into place; an existing one gets each
changed file swapped in with ``os.replace`` (staged in a temp dir beside OUT), the
manifest last. A failed run therefore leaves the previous output intact and never a
half-written directory.

``.asyncgen/manifest.json`` records the asyncgen version, template set and params,
input hashes, and per file the sha256 of its bytes and of its inputs. It drives
* hand-edit protection: a ``generated`` file whose bytes differ from the recorded
  hash (and from the new output) is not overwritten without ``force``; ``user`` files
  are never overwritten;
* stale-file cleanup: files the new plan lacks are removed only when unchanged;
* incremental regeneration: unchanged inputs + unchanged bytes -> not re-rendered.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from asyncgen.errors import AsyncgenError, GenerationError, OutputConflict

LINE_LENGTH = 88
TARGET_VERSION = "py311"
MANIFEST_PATH = PurePosixPath(".asyncgen/manifest.json")
MANIFEST_VERSION = 1
FORMATTERS = ("ruff", "black")
_RUFF_OPTIONS = ("--line-length", str(LINE_LENGTH), "--target-version", TARGET_VERSION)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- formatting


@functools.cache
def _ruff_bin() -> str | None:
    """The ruff executable, looked up once per process.

    Cached, and the package lookup locked (:func:`packaged_ruff_bin`, which
    :func:`asyncgen.generate` also asks): ruff's ``find_ruff_bin`` reads ``sysconfig``, whose lazy
    initialisation is not thread-safe on Python 3.11 (two threads calling
    ``generate()`` at once got None and failed).
    """
    return _find_ruff_bin()


_RUFF_LOOKUP = threading.Lock()


def _find_ruff_bin() -> str | None:
    return packaged_ruff_bin() or shutil.which("ruff")


@functools.cache
def packaged_ruff_bin() -> str | None:
    """The installed ruff package's own executable (None: no package, or no binary in it);
    looked up once, under the same lock as :func:`_ruff_bin` (sysconfig, see there)."""
    with _RUFF_LOOKUP:
        try:
            from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

            return os.fsdecode(find_ruff_bin())
        except (ImportError, FileNotFoundError):
            return None


def _black_available() -> bool:
    try:
        import black  # noqa: F401
    except ImportError:
        return False
    return True


def default_formatter() -> str:
    if _ruff_bin():
        return "ruff"
    if _black_available():
        return "black"
    raise GenerationError("neither ruff nor black is installed; install one to format generated code")


def normalize_newlines(text: str) -> str:
    if "\r" not in text:  # the usual case: one scan instead of two copying ones
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _origin(path: PurePosixPath, origins: Mapping[PurePosixPath, str]) -> str:
    template = origins.get(path)
    return f"{path} (from template {template})" if template else str(path)


def _format_black(
    sources: Mapping[PurePosixPath, str], origins: Mapping[PurePosixPath, str]
) -> dict[PurePosixPath, str]:
    import black
    from black.mode import Mode, TargetVersion
    from black.parsing import InvalidInput

    mode = Mode(target_versions={TargetVersion.PY311}, line_length=LINE_LENGTH)
    out: dict[PurePosixPath, str] = {}
    for path, text in sources.items():
        try:
            out[path] = black.format_str(text, mode=mode)
        except InvalidInput as err:
            raise GenerationError(
                f"generated file {_origin(path, origins)} is not valid Python: {err}"
            ) from None
    return out


def _format_ruff(
    sources: Mapping[PurePosixPath, str], origins: Mapping[PurePosixPath, str]
) -> dict[PurePosixPath, str]:
    binary = _ruff_bin()
    if binary is None:
        raise GenerationError("--formatter ruff: ruff is not installed (pip install ruff) - or use black")
    with tempfile.TemporaryDirectory(prefix="asyncgen-fmt-") as tmp:
        root = Path(tmp)
        names: list[str] = []
        for index, (path, text) in enumerate(sources.items()):
            # flat names: no directory of the output can trigger ruff's excludes or configs
            name = f"f{index}.pyi" if path.suffix == ".pyi" else f"f{index}.py"
            (root / name).write_text(text, encoding="utf-8", newline="\n")
            names.append(name)
        for start in range(0, len(names), 1000):
            chunk = names[start : start + 1000]
            proc = subprocess.run(
                [binary, "format", "--isolated", "--no-cache", *_RUFF_OPTIONS, *chunk],
                cwd=root,
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                shown = {n: _origin(p, origins) for n, p in zip(names, sources, strict=True)}
                raise GenerationError(_ruff_failure(proc.stderr, shown))
        return {
            path: (root / name).read_text(encoding="utf-8") for name, path in zip(names, sources, strict=True)
        }


def _ruff_failure(stderr: str, names: Mapping[str, str]) -> str:
    text = re.sub(r"\bf\d+\.pyi?\b", lambda m: str(names.get(m.group(0), m.group(0))), stderr.strip())
    return f"generated code is not valid Python (ruff format failed):\n{text}"


def format_files(
    files: Mapping[PurePosixPath, str],
    formatter: str | None = None,
    origins: Mapping[PurePosixPath, str] | None = None,
) -> dict[PurePosixPath, str]:
    """``files`` with ``.py``/``.pyi`` formatted and every text's newlines normalised.

    ``origins`` (path -> template name) only improves error messages.
    """
    chosen = formatter or default_formatter()
    if chosen not in FORMATTERS:
        raise GenerationError(f"unknown formatter {chosen!r}; choose one of: {', '.join(FORMATTERS)}")
    out = {path: normalize_newlines(text) for path, text in files.items()}
    python = {p: t for p, t in out.items() if p.suffix in (".py", ".pyi")}
    if python:
        where = origins or {}
        out.update(_format_ruff(python, where) if chosen == "ruff" else _format_black(python, where))
    return out


#: a trailing comment ruff leaves out of the line width and black does not
_PRAGMA_COMMENT = re.compile(
    r"#\s*(type:|noqa|pyright:|pylint:|nosec|isort:|ruff:|mypy:|pragma)", re.IGNORECASE
)


def formatter_divergences(files: Mapping[PurePosixPath, str]) -> list[tuple[PurePosixPath, int, str]]:
    """Lines where ruff and black are known to disagree: too long and ending in a pragma comment.

    Ruff does not count pragma comments (``# noqa``, ``# type: ignore`` ...) in the line
    width, black does and wraps the line. Templates should keep such lines short.
    """
    found: list[tuple[PurePosixPath, int, str]] = []
    for path, text in files.items():
        if path.suffix not in (".py", ".pyi"):
            continue
        if any(c in text for c in _OTHER_LINE_BREAKS):  # lines as str.splitlines cuts them
            for number, line in enumerate(text.splitlines(), 1):
                if len(line) > LINE_LENGTH and "#" in line and _PRAGMA_COMMENT.search(line):
                    found.append((path, number, line))
            continue
        # only "\n" breaks lines: the pragma comments found by one regex search, then their lines
        # (5 MB of generated code: ~10 ms line by line, <1 ms so)
        number, counted, at = 1, 0, 0
        while (match := _PRAGMA_IN_TEXT.search(text, at)) is not None:
            start = text.rfind("\n", 0, match.start()) + 1
            end = text.find("\n", match.end())
            end = len(text) if end < 0 else end
            if end - start > LINE_LENGTH:
                number += text.count("\n", counted, start)
                counted = start
                found.append((path, number, text[start:end]))
            at = end + 1
    return found


#: what str.splitlines breaks lines at besides "\n"
_OTHER_LINE_BREAKS = "\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
#: _PRAGMA_COMMENT within one line of a whole text
_PRAGMA_IN_TEXT = re.compile(
    r"#(?:(?!\n)\s)*(type:|noqa|pyright:|pylint:|nosec|isort:|ruff:|mypy:|pragma)", re.IGNORECASE
)


# ---------------------------------------------------------------- writing


@dataclass(frozen=True)
class OutputFile:
    path: PurePosixPath
    data: bytes
    ownership: str = "generated"
    template: str = ""
    input_hash: str = ""
    #: ``sha256(data)`` when the caller has it already (the manifest records it; else computed)
    digest: str | None = None


@dataclass(frozen=True)
class FileDrift:
    path: str
    #: "changed" | "missing" | "stale" | "edited" (a hand edit in the way)
    kind: str
    #: unified diff; computed only for --check and for hand edits in the way (else "")
    diff: str = ""

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "kind": self.kind, "diff": self.diff}


@dataclass
class WriteResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: user-owned files left alone because they exist
    skipped: list[str] = field(default_factory=list)
    #: user-owned files whose template would now produce something else (reported only)
    user_outdated: list[str] = field(default_factory=list)
    #: files no longer generated but kept: edited by hand, or user-owned
    stale_kept: list[str] = field(default_factory=list)
    #: generated files edited by hand and overwritten because of force
    forced: list[str] = field(default_factory=list)
    drift: list[FileDrift] = field(default_factory=list)


def read_manifest(out: Path) -> dict[str, Any]:
    """The previous run's manifest, or ``{}`` (none, unreadable, or another version)."""
    path = out / MANIFEST_PATH
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("manifest_version") != MANIFEST_VERSION:
        return {}
    if not isinstance(data.get("files"), dict):
        return {}
    return data


def manifest_bytes(meta: Mapping[str, Any], files: Sequence[OutputFile]) -> bytes:
    data = {
        **meta,
        "manifest_version": MANIFEST_VERSION,
        "files": {
            str(f.path): {
                "sha256": f.digest or sha256(f.data),
                "input_hash": f.input_hash,
                "ownership": f.ownership,
                "template": f.template,
            }
            for f in files
        },
    }
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):  # a parent is a file (a stale one, maybe)
        return None
    except IsADirectoryError:
        raise OutputConflict(f"{path} is a directory where a file would be written") from None


def unified_diff(path: str, old: bytes | None, new: bytes | None) -> str:
    a = (old or b"").decode("utf-8", "replace").splitlines(keepends=True)
    b = (new or b"").decode("utf-8", "replace").splitlines(keepends=True)
    lines = difflib.unified_diff(
        a,
        b,
        fromfile=f"a/{path}" if old is not None else "/dev/null",
        tofile=f"b/{path}" if new is not None else "/dev/null",
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def write_output(
    files: Sequence[OutputFile],
    out: Path,
    *,
    meta: Mapping[str, Any],
    check: bool = False,
    force: bool = False,
    previous: Mapping[str, Any] | None = None,
    extra: Mapping[PurePosixPath, bytes] | None = None,
) -> WriteResult:
    """Bring ``out`` in line with ``files`` (or, with ``check``, only report how it differs)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputConflict(f"output {out} exists and is not a directory")
    old = dict(previous if previous is not None else read_manifest(out))
    recorded: dict[str, Any] = old.get("files", {})
    result = WriteResult()
    writes: dict[PurePosixPath, bytes] = {}
    conflicts: list[FileDrift] = []
    new_paths = {str(f.path) for f in files}

    def diff(name: str, before: bytes | None, after: bytes | None, shown: bool = check) -> str:
        # a diff is only ever shown by --check and for hand edits in the way (difflib on big
        # files costs more than the rest of an incremental run's writing)
        return unified_diff(name, before, after) if shown else ""

    for f in files:
        name = str(f.path)
        disk = _read(out / f.path)
        if disk == f.data:
            result.unchanged.append(name)
            continue
        if disk is None:
            writes[f.path] = f.data
            result.drift.append(FileDrift(name, "missing", diff(name, None, f.data)))
            continue
        if f.ownership == "user":
            result.skipped.append(name)
            result.user_outdated.append(name)
            continue
        record = recorded.get(name)
        if isinstance(record, dict) and record.get("sha256") == sha256(disk):
            writes[f.path] = f.data
            result.drift.append(FileDrift(name, "changed", diff(name, disk, f.data)))
            continue
        drift = FileDrift(name, "edited", diff(name, disk, f.data, shown=True))
        result.drift.append(drift)
        if force:
            writes[f.path] = f.data
            result.forced.append(name)
        else:
            conflicts.append(drift)

    deletes: list[PurePosixPath] = []
    for name, record in sorted(recorded.items()):
        if name in new_paths or not isinstance(record, dict):
            continue
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts:
            continue  # a tampered manifest never makes us touch files outside OUT
        disk = _read(out / path)
        if disk is None:
            continue
        if record.get("ownership") == "generated" and record.get("sha256") == sha256(disk):
            deletes.append(path)
            result.drift.append(FileDrift(name, "stale", diff(name, disk, None)))
        else:
            result.stale_kept.append(name)

    if check:
        return result
    if conflicts:
        names = ", ".join(d.path for d in conflicts)
        diffs = "".join(d.diff for d in conflicts)
        raise OutputConflict(
            f"{len(conflicts)} generated file(s) were edited by hand and would be overwritten: {names}\n"
            f"Move your changes into a user-owned file (or a template override), or use --force.\n{diffs}"
        )
    result.written = sorted(str(p) for p in writes)
    result.removed = sorted(str(p) for p in deletes)
    engine = {MANIFEST_PATH: manifest_bytes(meta, files), **(extra or {})}
    if writes or deletes or any(_read(out / p) != data for p, data in engine.items()):
        commit(out, writes, deletes, engine)
    return result


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def commit(
    out: Path,
    writes: Mapping[PurePosixPath, bytes],
    deletes: Sequence[PurePosixPath],
    engine: Mapping[PurePosixPath, bytes],
) -> None:
    """Stage everything beside ``out``, then swap it in (rename a new tree; replace per file).

    ``engine`` files (``.asyncgen/...``, the manifest) are replaced last, so an
    interrupted run leaves the previous manifest describing files that are either
    old (hash matches it) or new (bytes match the next run's output).
    """
    parent = out.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.asyncgen-", dir=parent))
    try:
        staged = {**writes, **engine}
        for path, data in staged.items():
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if not out.exists():
            mode = 0o777 & ~_umask()
            for directory in [staging, *(p for p in staging.rglob("*") if p.is_dir())]:
                directory.chmod(mode)
            os.replace(staging, out)
            return
        for path in deletes:  # first: a stale file may sit where a new directory goes
            (out / path).unlink(missing_ok=True)
            _prune_empty_dirs(out, (out / path).parent)
        for path in writes:
            dest = out / path
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.exists():
                shutil.copymode(dest, staging / path)
            os.replace(staging / path, dest)
        for path in sorted(engine, key=lambda p: p == MANIFEST_PATH):
            (out / path).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / path, out / path)
    except OSError as err:
        raise AsyncgenError(f"cannot write output {out}: {err}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _prune_empty_dirs(root: Path, directory: Path) -> None:
    root = root.absolute()
    directory = directory.absolute()
    while directory != root and root in directory.parents:
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent
