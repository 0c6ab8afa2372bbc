"""Corpus batch: every valid AsyncAPI file in ``../shared/corpus`` generates or is refused.

Issue 3: each one either generates a project that passes ``ruff check``, ``mypy --strict``
and its own generated tests, or is refused (``GenerationError``, exit 2, no output
directory) with a reason listed in :data:`EXPECTED_REFUSALS`. A spec in neither bucket
fails, and so does a table entry that no longer refuses (keep the table honest).

Cost on a 2-core machine: everything is generated once per session (module fixture);
``ruff`` runs once over all projects; ``mypy`` runs once per batch of projects whose
package names are distinct (a few invocations, one shared cache); each project's tests
run in their own ``python -m pytest`` subprocess, two at a time. The fixture prints the
time of each phase (``pytest -s``). Marked ``slow``; run alone with
``pytest tests/test_corpus_generate.py -m slow``. Measured here (2 cores): 67 specs, 56
generated and 11 refused; generate 9.5 s, ruff 0.1 s, mypy 6-21 s (cold cache), the
projects' own tests 209 s (zbos alone has ~1,150 generated tests); total ~3m50s.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import SHARED, corpus_load_options, require_shared

from asyncgen.errors import AsyncgenError, GenerationError
from asyncgen.generate import generate

#: corpus file -> a substring of the refusal. Only protocols with no transport belong here,
#: plus documented gaps (marked GAP: something we should generate, reported as a bug).
EXPECTED_REFUSALS: dict[str, str] = {
    # HTTP(S) streaming APIs: no broker transport (OpenAPI/HTTP is a separate front end)
    "asyncapi/2.x/asyncapi__spec__gitter-streaming.yml": "protocol 'https'",
    "asyncapi/3.0/asyncapi__spec__gitter-streaming-asyncapi.yml": "protocol 'https'",
    "asyncapi/2.x/asyncapi__spec__slack-rtm.yml": "protocol 'https'",
    "asyncapi/3.0/asyncapi__spec__slack-rtm-asyncapi.yml": "protocol 'https'",
    "asyncapi/2.x/asyncapi__cli__asyncapi_v2.yml": "protocol 'http'",
    # Mercure (server-sent events hub), STOMP, JMS, AWS SNS, IBM MQ: no FastStream transport
    "asyncapi/2.x/asyncapi__spec__mercure.yml": "protocol 'mercure'",
    "asyncapi/3.0/asyncapi__spec__mercure-asyncapi.yml": "protocol 'mercure'",
    "asyncapi/3.0/springwolf__springwolf-core__springwolf-stomp-example.asyncapi.json": "protocol 'stomp'",
    "asyncapi/3.0/springwolf__springwolf-core__springwolf-jms-example.asyncapi.json": "protocol 'jms'",
    "asyncapi/3.0/springwolf__springwolf-core__springwolf-sns-example.asyncapi.json": "protocol 'sns'",
    "asyncapi/3.0/asyncapi__studio__ibmmq.yml": "protocol 'ibmmq-secure'",
}

#: seconds one generated project's tests may take (zbos has ~1,150 generated tests)
PROJECT_TEST_TIMEOUT = 900


def corpus_specs() -> list[str]:
    """Valid AsyncAPI files of the corpus (MANIFEST.tsv), relative to the corpus folder."""
    manifest = SHARED / "corpus" / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with manifest.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [
        r["file"]
        for r in rows
        if r["spec_version"].startswith("asyncapi") and not r["file"].startswith("invalid/")
    ]


SPECS = corpus_specs()


@dataclass
class Outcome:
    spec: str
    out: Path
    package: str | None = None
    refused: AsyncgenError | None = None
    crash: str | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class Batch:
    outcomes: dict[str, Outcome]
    timings: dict[str, float]


def _package_of(out: Path) -> str:
    found = sorted(p.name for p in out.iterdir() if (p / "__init__.py").is_file())
    assert len(found) == 1, f"{out}: expected one package, found {found}"
    return found[0]


def _run(cmd: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    env["PYTHONPATH"] = str(cwd)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False)


def _mentions(line: str, out: Path, root: Path) -> bool:
    """Whether a tool's output line is about a file of the project in ``out`` (paths printed
    relative to ``root``, the working directory, or absolute)."""
    rel = f"{out.relative_to(root)}/"
    return line.lstrip().startswith((rel, f"{out}/")) or f" {rel}" in line or f" {out}/" in line


def _ruff(ok: list[Outcome], root: Path) -> None:
    """One ``ruff check`` over every project (each project's own pyproject config applies)."""
    proc = _run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            "--output-format",
            "concise",
            *(str(o.out) for o in ok),
        ],
        root,
        300,
    )
    if proc.returncode == 0:
        return
    text = proc.stdout + proc.stderr
    for o in ok:
        lines = [line for line in text.splitlines() if _mentions(line, o.out, root)]
        if lines:
            o.problems.append("ruff check:\n" + "\n".join(lines[:20]))
    if not any(o.problems for o in ok):
        raise AssertionError(f"ruff check failed:\n{text[-3000:]}")


def _mypy(ok: list[Outcome], root: Path) -> None:
    """``mypy`` (strict, the generated pyproject's config) over all packages in few invocations.

    mypy refuses two modules with the same name in one run, so the packages are put into
    batches with distinct names (the corpus has up to four specs with the same title).
    """
    batches: list[list[Outcome]] = []
    for o in ok:
        target = next((b for b in batches if o.package not in {x.package for x in b}), None)
        if target is None:
            batches.append([o])
        else:
            target.append(o)
    cache = root / ".mypy_cache"
    for batch in batches:
        config = batch[0].out / "pyproject.toml"
        cmd = [sys.executable, "-m", "mypy", "--strict", "--config-file", str(config)]
        cmd += ["--cache-dir", str(cache)]
        proc = _run([*cmd, *(str(o.out / str(o.package)) for o in batch)], root, 900)
        if proc.returncode == 0:
            continue
        for o in batch:
            lines = [line for line in proc.stdout.splitlines() if _mentions(line, o.out, root)]
            if lines:
                o.problems.append("mypy --strict:\n" + "\n".join(lines[:20]))
        if not any(o.problems for o in batch):
            raise AssertionError(f"mypy failed:\n{proc.stdout[-3000:]}{proc.stderr[-2000:]}")


def _project_tests(ok: list[Outcome]) -> None:
    """Each project's generated tests, in its own interpreter, two at a time."""

    def one(o: Outcome) -> None:
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x"]
        try:
            proc = _run(cmd, o.out, PROJECT_TEST_TIMEOUT)
        except subprocess.TimeoutExpired:
            o.problems.append(f"generated tests: timed out after {PROJECT_TEST_TIMEOUT} s")
            return
        if proc.returncode != 0:
            tail = proc.stdout[-4000:] + proc.stderr[-1500:]
            o.problems.append(f"generated tests (exit {proc.returncode}):\n{tail}")

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, ok))


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Batch]:
    shared = require_shared()
    root = tmp_path_factory.mktemp("corpus")
    outcomes: dict[str, Outcome] = {}
    timings: dict[str, float] = {}
    start = time.perf_counter()
    for i, name in enumerate(SPECS):
        spec = shared / "corpus" / name
        o = Outcome(name, root / f"p{i:02d}")
        try:
            generate(spec, o.out, load_options=corpus_load_options(spec), formatter="ruff")
            o.package = _package_of(o.out)
        except AsyncgenError as err:
            o.refused = err
        except Exception as err:  # a crash is a bug: reported per spec, not for the whole batch
            o.crash = f"{type(err).__name__}: {err}"
        outcomes[name] = o
    timings["generate"] = time.perf_counter() - start
    ok = [o for o in outcomes.values() if o.package is not None]
    for phase, func in (("ruff", lambda: _ruff(ok, root)), ("mypy", lambda: _mypy(ok, root))):
        t = time.perf_counter()
        func()
        timings[phase] = time.perf_counter() - t
    t = time.perf_counter()
    _project_tests(ok)
    timings["tests"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - start
    print(
        f"\ncorpus batch: {len(ok)} generated, {len(outcomes) - len(ok)} not; "
        + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items())
    )
    yield Batch(outcomes, timings)


def test_corpus_has_valid_asyncapi_specs(shared_dir: Path) -> None:
    assert len(SPECS) >= 60, f"MANIFEST.tsv lists only {len(SPECS)} valid AsyncAPI specs"


def test_refusal_table_names_corpus_specs(shared_dir: Path) -> None:
    """Every table entry is a valid corpus spec (no stale rows)."""
    stale = sorted(set(EXPECTED_REFUSALS) - set(SPECS))
    assert not stale, f"EXPECTED_REFUSALS names files that are not valid corpus specs: {stale}"


@pytest.mark.slow
@pytest.mark.parametrize("name", SPECS)
def test_corpus_spec_generates_or_is_refused(batch: Batch, name: str) -> None:
    o = batch.outcomes[name]
    assert o.crash is None, f"{name}: generate() crashed (a bug, never a refusal): {o.crash}"
    expected = EXPECTED_REFUSALS.get(name)
    if o.refused is not None:
        err = o.refused
        assert expected is not None, f"{name}: refused but not in EXPECTED_REFUSALS: {err}"
        assert isinstance(err, GenerationError), f"{name}: refused with {type(err).__name__}: {err}"
        assert err.exit_code == 2
        assert expected in str(err), f"{name}: refusal {str(err)!r} lacks {expected!r}"
        assert not o.out.exists(), f"{name}: refused, yet {o.out} was written"
        return
    assert expected is None, f"{name}: generates now; drop it from EXPECTED_REFUSALS ({expected!r})"
    assert not o.problems, f"{name} ({o.package}):\n" + "\n\n".join(o.problems)


def test_cli_refusal_is_clear_and_writes_nothing(shared_dir: Path, tmp_path: Path) -> None:
    """``asyncgen generate <refused spec> -o X``: exit 2, a clear error naming the server, its
    protocol and the alternatives, and X does not exist afterwards."""
    name = "asyncapi/3.0/springwolf__springwolf-core__springwolf-stomp-example.asyncapi.json"
    spec = shared_dir / "corpus" / name
    out = tmp_path / "X"
    proc = subprocess.run(
        [sys.executable, "-m", "asyncgen", "generate", str(spec), "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    err = proc.stderr
    assert "Traceback" not in err
    assert "'stomp'" in err, err  # the server's protocol ...
    assert "server 'stomp'" in err, err  # ... and the element
    for alternative in ("kafka", "amqp", "mqtt", "nats", "redis", "ws"):
        assert alternative in err, f"alternative {alternative} not named: {err}"
    assert "-p broker=" in err, err  # how to force a transport
    assert not out.exists()


def test_cli_refusal_for_dynamic_queue_names_operation(tmp_path: Path) -> None:
    """A queue named at run time with no request to be the reply queue of: exit 2, the operation named.

    (The corpus' rpc-client specs pair it with their correlated request: they generate.)
    """
    spec = tmp_path / "dyn.yaml"
    spec.write_text(
        "asyncapi: 3.0.0\ninfo: {title: Dyn, version: 1.0.0}\n"
        "servers:\n  dev: {host: localhost, protocol: amqp}\n"
        "channels:\n  q:\n    address: '{queue}'\n    parameters: {queue: {}}\n"
        "    bindings: {amqp: {is: queue, queue: {exclusive: true}}}\n"
        "    messages:\n      m: {payload: {type: object}}\n"
        "operations:\n  receiveSumResult: {action: receive, channel: {$ref: '#/channels/q'}}\n",
        encoding="utf-8",
    )
    out = tmp_path / "X"
    proc = subprocess.run(
        [sys.executable, "-m", "asyncgen", "generate", str(spec), "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "operation 'receiveSumResult'" in proc.stderr, proc.stderr
    assert "fixed queue name or an exchange binding" in proc.stderr, proc.stderr
    assert not out.exists()
