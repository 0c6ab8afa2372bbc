"""Shared test helpers. Keep it small: one section per concern.

``../shared`` (the corpus and the official AsyncAPI schemas) lies beside the
repository on our machines but not in a user's clone: tests that need it skip
with a reason there, and fail under ``CI=true``, where it must be present.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from asyncgen.document import LoadOptions

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ASYNCGEN_SHARED_DIR", REPO_ROOT.parent / "shared"))


# -- asyncgen's private cache ----------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _private_cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's own ``XDG_CACHE_HOME``: tests never write into the developer's ~/.cache.

    One folder for the whole session (compiled templates are shared between tests; project
    caches are keyed by each output's path). Subprocesses inherit it. ``ASYNCGEN_NO_CACHE``
    from the caller's shell is dropped: the incremental tests prove the caches are used.
    """
    saved = {name: os.environ.get(name) for name in ("XDG_CACHE_HOME", "ASYNCGEN_NO_CACHE")}
    home = tmp_path_factory.mktemp("xdg-cache")
    os.environ["XDG_CACHE_HOME"] = str(home)
    os.environ.pop("ASYNCGEN_NO_CACHE", None)
    try:
        yield home
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def project_cache(out: Path) -> Path:
    """The private cache folder of the project generated into ``out`` (it must be usable)."""
    from asyncgen.cachedir import project_dir

    folder, reason = project_dir(out)
    assert folder is not None, reason
    return folder


# -- ../shared -----------------------------------------------------------------


def require_shared() -> Path:
    """The ``../shared`` folder; skips the test where it is absent, fails under CI=true."""
    if not (SHARED / "corpus").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{SHARED} is missing; CI must provide ../shared (the corpus and schemas)")
        pytest.skip(f"{SHARED} is absent (a user's clone): tests needing ../shared are skipped")
    return SHARED


@pytest.fixture
def shared_dir() -> Path:
    """Path to ``../shared`` (skip/fail rule of :func:`require_shared`)."""
    return require_shared()


# -- PostgreSQL (the relay's scale-out store) -----------------------------------


def postgres_url() -> str:
    """The test database of ``bash .ci/brokers.sh start postgres`` (same variables, same defaults)."""
    user = os.environ.get("BROKER_PG_USER", "asyncgen")
    password = os.environ.get("BROKER_PG_PASSWORD", "asyncgen")
    db = os.environ.get("BROKER_PG_DB", "asyncgen")
    host = os.environ.get("BROKER_HOST", "127.0.0.1")
    return f"postgresql://{user}:{password}@{host}:{os.environ.get('BROKER_PG_PORT', '55432')}/{db}"


def require_postgres() -> str:
    """:func:`postgres_url` when the server answers; skips otherwise, fails under CI=true."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(postgres_url())
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=1.0).close()
    except OSError:
        reason = f"PostgreSQL not reachable at {parts.hostname}:{parts.port}"
        reason += " (bash .ci/brokers.sh start postgres)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true: a missing prerequisite is a failure, not a skip)")
        pytest.skip(reason)
    return postgres_url()


# -- loading corpus specs ------------------------------------------------------

#: the https prefixes under which the ADEO case study refers to its Avro schemas
ADEO_PREFIXES = (
    "https://asyncapi.com/resources/casestudies/adeo/",
    "https://www.asyncapi.com/resources/casestudies/adeo/",
    "https://deploy-preview-921--asyncapi-website.netlify.app/resources/casestudies/adeo/",
)


def corpus_load_options(spec: Path) -> LoadOptions:
    """The LoadOptions a corpus spec needs offline.

    * remote ADEO ``.avsc`` refs are served from the local copies
      (``--map-url PREFIX=asyncapi/3.0/asyncapi__website__adeo-casestudy``);
    * the social-media examples refer to ``../common/``, outside their own
      folder, so that folder's parent is allowed (``--allow-outside``).
    """
    corpus = spec.resolve()
    while corpus.name != "corpus" and corpus != corpus.parent:
        corpus = corpus.parent
    adeo = corpus / "asyncapi" / "3.0" / "asyncapi__website__adeo-casestudy"
    maps = tuple((prefix, adeo) for prefix in ADEO_PREFIXES)
    outside: tuple[Path, ...] = ()
    if any("social-media" in part for part in spec.parts):
        outside = (spec.parent.parent,)
    return LoadOptions(map_urls=maps, allow_outside=outside)


@pytest.fixture
def corpus_options() -> Callable[[Path], LoadOptions]:
    """``corpus_options(path)`` -> the LoadOptions that corpus spec needs offline."""
    return corpus_load_options
