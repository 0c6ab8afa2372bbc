"""asyncgen's private per-user cache folders (compiled templates, per-project caches).

Everything asyncgen caches lives under ``$XDG_CACHE_HOME/asyncgen`` (default
``~/.cache/asyncgen``), never in an output folder: an output folder is committed to git
and comes back through pull requests, so nothing in it may be trusted as a cache (a
cache that says "this code is what the generator makes" would let a change to the code
through ``--check``). A folder is used only when it is safely ours: every folder from
``asyncgen/`` down is a real folder (not a symlink), owned by us and writable by nobody
else; the last one is made 0700. Otherwise the caller runs without a cache (the same
output, just slower) and reports why.

``ASYNCGEN_NO_CACHE=1`` (``asyncgen generate --no-cache``) turns every cache off.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path

NO_CACHE_ENV = "ASYNCGEN_NO_CACHE"
PROJECTS = "projects"


def disabled_by_env() -> bool:
    return os.environ.get(NO_CACHE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def cache_root() -> Path | None:
    """``$XDG_CACHE_HOME/asyncgen`` (default ``~/.cache/asyncgen``); None when it cannot be absolute."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):
        return None
    return Path(base) / "asyncgen"


def private_dir(*parts: str, create: bool = True) -> tuple[Path | None, str | None]:
    """``<cache root>/<parts...>``, created 0700: (folder, None), or (None, why it is not used).

    ``create=False`` (a run that writes nothing): (None, None) when the folder does not exist.
    """
    if not hasattr(os, "getuid"):
        return None, "no per-user ownership on this platform"
    root = cache_root()
    if root is None:
        return None, "XDG_CACHE_HOME is not an absolute path"
    directory = root.joinpath(*parts)
    if not create and not os.path.lexists(directory):
        return None, None
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError as err:
        return None, f"cannot create the cache folder {directory}: {err.strerror or err}"
    chain = [root]
    for part in parts:
        chain.append(chain[-1] / part)
    for folder in chain:
        try:
            info = os.lstat(folder)
        except OSError as err:
            return None, f"cannot inspect the cache folder {folder}: {err.strerror or err}"
        if stat.S_ISLNK(info.st_mode):
            return None, f"the cache folder {folder} is a symlink"
        if not stat.S_ISDIR(info.st_mode):
            return None, f"the cache folder {folder} is not a folder"
        if info.st_uid != os.getuid():
            return None, f"the cache folder {folder} is not owned by us (uid {info.st_uid})"
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            mode = oct(stat.S_IMODE(info.st_mode))
            return None, f"the cache folder {folder} is writable by others (mode {mode})"
    if stat.S_IMODE(info.st_mode) != 0o700:
        try:
            os.chmod(directory, 0o700)
        except OSError as err:
            return None, f"cannot make the cache folder {directory} private: {err.strerror or err}"
    return directory, None


def project_key(out: Path) -> str:
    """sha256 of the output folder's resolved absolute path."""
    return hashlib.sha256(os.fsencode(Path(out).resolve())).hexdigest()


def project_dir(out: Path, create: bool = True) -> tuple[Path | None, str | None]:
    """The private cache folder of the project generated into ``out`` (see :func:`private_dir`)."""
    return private_dir(PROJECTS, project_key(out), create=create)


def read_bytes(folder: Path, name: str) -> bytes | None:
    """A cache file's bytes (None when missing, unreadable or not a regular file of ours)."""
    try:
        fd = os.open(folder / name, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read()
    except OSError:
        return None
    finally:
        os.close(fd)


def write_bytes(folder: Path, name: str, data: bytes) -> str | None:
    """Write a cache file atomically (temp file + rename); the reason when it could not be written."""
    try:
        if read_bytes(folder, name) == data:
            return None
        fd, temp = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(temp, folder / name)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as err:
        return f"cannot write the cache file {folder / name}: {err.strerror or err}"
    return None


#: a project cache folder nobody wrote for this long is removed (its output was moved or deleted,
#: or is not generated any more); the next run into it is a full one, nothing else is lost
PRUNE_AFTER_DAYS = 30
_PRUNE_MARK = ".last-prune"


def prune(now: float | None = None) -> list[str]:
    """Remove project cache folders (and compiled templates) untouched for :data:`PRUNE_AFTER_DAYS`.

    At most once a day (the mark's mtime); only entries that are safely ours (real folders and
    files, owned by us, no symlinks followed). Returns what was removed. Never raises: a cache
    that cannot be pruned just stays.
    """
    import shutil
    import time

    root = cache_root()
    if root is None or disabled_by_env() or not hasattr(os, "getuid"):
        return []
    now = time.time() if now is None else now
    cutoff = now - PRUNE_AFTER_DAYS * 86400
    removed: list[str] = []
    try:
        mark = root / PROJECTS / _PRUNE_MARK
        if os.path.lexists(mark) and os.lstat(mark).st_mtime > now - 86400:
            return []
        for kind in (PROJECTS, "templates"):
            folder, why = private_dir(kind, create=False)
            if folder is None or why is not None:
                continue
            for entry in os.scandir(folder):
                info = entry.stat(follow_symlinks=False)
                if entry.name == _PRUNE_MARK or info.st_uid != os.getuid() or info.st_mtime >= cutoff:
                    continue
                if stat.S_ISDIR(info.st_mode):
                    shutil.rmtree(entry.path)  # rmtree never follows symlinks inside
                elif stat.S_ISREG(info.st_mode):
                    os.unlink(entry.path)
                else:
                    continue
                removed.append(f"{kind}/{entry.name}")
        if os.path.isdir(root / PROJECTS):
            Path(mark).touch()
            os.utime(mark, (now, now))
    except OSError:
        pass
    return removed


def touch(folder: Path | None) -> None:
    """Mark a project cache folder as used now (what :func:`prune` goes by)."""
    if folder is not None:
        try:
            os.utime(folder)
        except OSError:
            pass
