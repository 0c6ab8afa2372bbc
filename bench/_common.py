"""Shared helpers of the benchmarks: timing summaries and measured child processes.

The machines these run on are shared and noisy: every figure is the best of N runs
with the median beside it, and goals are read as ratios against baselines measured
in the same run - never as timed assertions.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent


def setup_path() -> None:
    """Make ``asyncgen`` (this checkout) and the bench helpers importable."""
    for path in (str(REPO), str(BENCH)):
        if path not in sys.path:
            sys.path.insert(0, path)


def best_median(values: Sequence[float]) -> tuple[float, float]:
    return min(values), statistics.median(values)


@dataclass
class Measured:
    seconds: float
    #: peak resident set of the process itself (not its children), KiB
    maxrss_kb: int
    returncode: int
    stdout: str
    stderr: str

    def tail(self, lines: int = 5) -> str:
        return "\n".join((self.stderr or self.stdout).strip().splitlines()[-lines:])


def run_rss(cmd: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> Measured:
    """Like :func:`run_measured` with this child's own peak RSS (via ``os.wait4``).

    Output goes to temporary files so the child can be reaped by ``wait4`` itself.
    """
    import tempfile

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(seconds, int(usage.ru_maxrss), proc.returncode, out.read(), err.read())


def worker_json(cmd: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> dict:
    """Run a ``--worker`` child that prints one JSON object as its last stdout line."""
    result = run_rss(cmd, cwd=cwd, env=env)
    if result.returncode != 0:
        raise SystemExit(f"worker failed (rc={result.returncode}): {' '.join(cmd)}\n{result.tail(20)}")
    data: dict = json.loads(result.stdout.strip().splitlines()[-1])
    data["wall"] = result.seconds
    data["maxrss_kb"] = result.maxrss_kb
    return data


def mb(kb: float) -> str:
    return f"{kb / 1024:.0f}"


def byte_compile() -> str:
    """Byte-compile this checkout's ``asyncgen`` package the way ``pip install`` does.

    An installed asyncgen runs from ``.pyc`` files; a checkout run under
    ``PYTHONDONTWRITEBYTECODE=1`` (set on the machines these benchmarks were first run on)
    compiles every module from source in every process, ~0.04 s of each run. ``compileall``
    writes the ``__pycache__`` files regardless of that variable. Returns a note for the output.
    """
    import compileall

    ok = compileall.compile_dir(str(REPO / "asyncgen"), quiet=1)
    if not ok:
        return "byte-compiling asyncgen FAILED: modules compiled from source"
    return "asyncgen byte-compiled as installed"


def load_note() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return ""
    return f"load average {one:.1f}/{five:.1f} (1/5 min) on {os.cpu_count()} CPUs"
