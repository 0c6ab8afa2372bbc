"""Where a version comes from: a spec file, or ``git:REV:path``.

``git:REV:path`` reads the spec as committed at ``REV`` in the git repository of
the current directory. ``path`` is relative to the repository root, like
``git show REV:path`` (``./x`` and ``../x`` are relative to the current
directory). Multi-file specs work because we do not read the one blob: we
``git archive REV -- <the spec's directory>`` into a temporary directory and load
the spec from there, so every file next to it or below it (``$ref: schemas/x.yaml``)
is there at the same revision. Refs that leave the spec's directory are refused by
the loader anyway unless ``--allow-outside DIR`` is given; each such DIR (inside
the repository) is extracted at ``REV`` too. Error locations name
``REV:path`` instead of the temporary directory.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from asyncgen.errors import AsyncgenError, Location, SpecError, SpecErrors

PREFIX = "git:"


@dataclass(frozen=True)
class GitSpec:
    rev: str
    path: str  # relative to the repository root, posix


def parse_git(spec: str) -> GitSpec | None:
    """``git:REV:path`` -> GitSpec; None when ``spec`` is not a git reference."""
    if not spec.startswith(PREFIX):
        return None
    rev, sep, path = spec[len(PREFIX) :].partition(":")
    if not sep or not rev or not path:
        raise SpecError(
            f"{spec!r} is not git:REV:path",
            Location(spec),
            hint="e.g. git:main:specs/orders.yaml or git:HEAD~1:./asyncapi.yaml",
        )
    return GitSpec(rev, path)


def _git(args: list[str], cwd: Path, what: str) -> bytes:
    if shutil.which("git") is None:
        raise SpecError("git is not installed", Location(what))
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SpecError(
            f"git {args[0]} failed: {message[-1] if message else proc.returncode}", Location(what)
        )
    return proc.stdout


def _repo_relative(path: str, top: Path, cwd: Path, what: str) -> str:
    if path.startswith(("./", "../")) or path in (".", ".."):
        absolute = (cwd / path).resolve()
        try:
            return absolute.relative_to(top.resolve()).as_posix()
        except ValueError:
            raise SpecError(f"{path} is outside the git repository {top}", Location(what)) from None
    return PurePosixPath(path).as_posix()


def _safe_member(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """tarfile's ``data`` filter, skipping (not failing on) members it refuses:
    links that leave the folder, absolute paths, device files."""
    try:
        return tarfile.data_filter(member, dest)
    except tarfile.FilterError:
        return None


def _extract(archive: bytes, into: Path, what: str) -> None:
    try:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(into, filter=_safe_member)
    except (tarfile.TarError, OSError) as err:
        raise SpecError(f"cannot extract the spec's folder at that revision: {err}", Location(what)) from None


@contextlib.contextmanager
def materialize(spec: str, allow_outside: tuple[Path, ...] = ()) -> Iterator[tuple[Path, tuple[Path, ...]]]:
    """A local path for ``spec`` (and the allowed outside dirs, mapped into the checkout)."""
    git = parse_git(spec)
    if git is None:
        yield Path(spec), allow_outside
        return
    cwd = Path.cwd()
    top = Path(_git(["rev-parse", "--show-toplevel"], cwd, spec).decode().strip())
    rel = _repo_relative(git.path, top, cwd, spec)
    _git(["cat-file", "-e", f"{git.rev}:{rel}"], top, spec)
    folder = PurePosixPath(rel).parent.as_posix()
    tmp = Path(tempfile.mkdtemp(prefix="asyncgen-diff-"))
    try:
        dirs = [folder]
        mapped: list[Path] = []
        for extra in allow_outside:
            extra_rel = _repo_relative(os.path.relpath(extra.resolve(), cwd), top, cwd, spec)
            dirs.append(extra_rel)
            mapped.append(tmp / extra_rel)
        for directory in dict.fromkeys(dirs):
            _extract(_git(["archive", "--format=tar", git.rev, "--", directory], top, spec), tmp, spec)
        try:
            yield tmp / rel, tuple(mapped)
        except AsyncgenError as err:
            raise relocate(err, tmp, f"{git.rev}:") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def relocate(err: AsyncgenError, tmp: Path, prefix: str) -> AsyncgenError:
    """The same error with files under ``tmp`` shown as ``REV:path``."""

    roots = sorted({str(tmp), str(tmp.resolve())}, key=len, reverse=True)

    def text(value: str) -> str:
        for root in roots:
            value = value.replace(root + os.sep, prefix).replace(root, prefix)
        return value

    def fix(e: SpecError) -> SpecError:
        e.location = replace(e.location, file=text(e.location.file))
        e.message = text(e.message)
        e.args = (e.message,)
        if e.hint:
            e.hint = text(e.hint)
        return e

    if isinstance(err, SpecErrors):
        err.errors = [fix(e) for e in err.errors]
    elif isinstance(err, SpecError):
        fix(err)
    return err
