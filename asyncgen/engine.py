"""What identifies the generator itself: its version plus a digest of its own files.

Every shortcut that reuses earlier work (the manifest's up-to-date check, per-file input
hashes, the models and examples caches) keys on :func:`engine_id`. The version alone is not
enough: in a developer's checkout or an editable install the code changes while the version
stays, and stale output would then count as up to date. Hashing the package's ~80 files
takes ~4 ms, once per process.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from asyncgen import __version__

_ROOT = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def engine_id() -> str:
    """``<version>+<digest>``: the digest covers every file of the package but compiled caches."""
    digest = hashlib.sha256()
    for path in sorted(_ROOT.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
            digest.update(path.relative_to(_ROOT).as_posix().encode("utf-8") + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return f"{__version__}+{digest.hexdigest()[:16]}"
