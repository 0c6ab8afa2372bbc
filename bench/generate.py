"""Full-project generation time per spec size, and the ratio to the field's generators.

    python bench/generate.py [--sizes 10,100,200,1000,2000] [--repeat 3] [--black-size 200]
                             [--baseline-size 200] [--baseline-repeat 1] [--no-baselines]

Per size: ``asyncgen.generate.generate()`` into a fresh directory, each run in a fresh
process (so peak RSS is that run's own; imports of asyncgen, datamodel-code-generator,
Jinja2 and the formatter are done before the clock starts and shown apart). Printed:
best and median seconds, ms per channel (linear growth => flat), peak RSS of the
process and of the ruff child, and where the time went (load / validate / parse /
models / context / render / format / write, measured by wrapping the stage functions
``generate()`` calls). One size also with ``--formatter black``, for the formatter's share.

Baselines, on the same spec size and in the same run, each as a whole command-line
run (interpreter/Node start-up included on both sides):

* ``asyncapi-python`` 0.3.x (``asyncapi-python-codegen``; found in /tmp/apy-venv or on
  PATH) on the 3.0 spec rewritten into what it accepts (``synth.asyncapi_python_variant``);
* the Node generator 1.x with ``@asyncapi/python-paho-template`` (``ag``; found in
  /tmp/nodegen or on PATH) on the AsyncAPI 2.6 twin (``synth.synth_spec_v2``), compared
  with asyncgen on that same 2.6 file.

Goals: linear growth; 200 channels >= 10x faster than asyncapi-python and >= 3x faster
than the Node generator. No assertions: the machines are shared and noisy; read ratios.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, best_median, load_note, mb, run_rss, setup_path, worker_json

setup_path()

STAGES = ("load", "validate", "parse", "models", "context", "render", "format", "write")

APY_INSTALL = (
    "python -m venv /tmp/apy-venv && /tmp/apy-venv/bin/pip install 'asyncapi-python[codegen]==0.3.1'"
)
NODE_INSTALL = (
    "mkdir -p /tmp/nodegen && cd /tmp/nodegen && npm init -y && "
    "npm install @asyncapi/generator@1 @asyncapi/python-paho-template"
)


# ------------------------------------------------------------------ worker (one run)


def _wrap(module: Any, name: str, stage: str, times: dict[str, float]) -> None:
    original: Callable[..., Any] | None = getattr(module, name, None)
    if original is None:
        return  # renamed upstream: that stage lands in "other"

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            times[stage] = times.get(stage, 0.0) + time.perf_counter() - t0

    setattr(module, name, timed)


def worker(spec: Path, out: Path, formatter: str, profile: Path | None) -> None:
    t0 = time.perf_counter()
    import datamodel_code_generator  # noqa: F401 - imported here so "models" is work, not import
    import jinja2  # noqa: F401

    import asyncgen.generate as gen
    import asyncgen.load
    import asyncgen.parse
    import asyncgen.validate

    if formatter == "black":
        import black  # noqa: F401
    imports = time.perf_counter() - t0

    times: dict[str, float] = {}
    _wrap(asyncgen.load, "load", "load", times)
    _wrap(asyncgen.validate, "validate", "validate", times)
    _wrap(asyncgen.parse, "parse", "parse", times)
    for name, stage in (
        ("build_models", "models"),
        ("build_template_context", "context"),
        ("render", "render"),
        ("format_files", "format"),
        ("write_output", "write"),
    ):
        _wrap(gen, name, stage, times)

    if profile is not None:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t0 = time.perf_counter()
    result = gen.generate(spec, out, formatter=formatter)
    total = time.perf_counter() - t0
    if profile is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    lines = sum(p.read_text(encoding="utf-8").count("\n") for p in out.rglob("*.py"))
    print(
        json.dumps(
            {
                "seconds": total,
                "imports": imports,
                "stages": times,
                "files": len(result.written),
                "py_lines": lines,
            }
        )
    )


# ------------------------------------------------------------------ parent


def run_ours(spec: Path, tmp: Path, formatter: str, repeat: int) -> list[dict[str, Any]]:
    runs = []
    for i in range(repeat):
        out = tmp / f"out-{spec.stem}-{formatter}-{i}"
        shutil.rmtree(out, ignore_errors=True)
        cmd = [sys.executable, __file__, "--worker", str(spec), str(out), formatter]
        runs.append(worker_json(cmd, cwd=REPO))
        shutil.rmtree(out, ignore_errors=True)
    return runs


def stage_line(run: dict[str, Any]) -> str:
    stages = run["stages"]
    other = run["seconds"] - sum(stages.values())
    parts = [f"{s} {stages[s]:.2f}" for s in STAGES if s in stages]
    return " | ".join([*parts, f"other {other:.2f}"])


def cli_best(
    cmd: list[str], repeat: int, out: Path, cwd: Path | None = None
) -> tuple[float, float, int, str]:
    """Best and median wall seconds, peak RSS (KiB) and any failure of a generator's CLI run."""
    times, rss, problem = [], [], ""
    for _ in range(repeat):
        shutil.rmtree(out, ignore_errors=True)
        result = run_rss(cmd, cwd=cwd, env={**os.environ, "NO_COLOR": "1"})
        if result.returncode != 0 or not out.exists():
            problem = f"FAILED rc={result.returncode}: {result.tail(3)}"
        times.append(result.seconds)
        rss.append(result.maxrss_kb)
    shutil.rmtree(out, ignore_errors=True)
    best, median = best_median(times)
    return best, median, max(rss), problem


def row(label: str, m: tuple[float, float, int, str]) -> str:
    return f"  {label + ':':<28} {m[0]:7.2f} s (median {m[1]:.2f})  {mb(m[2]):>5} MB peak RSS {m[3]}"


def goal(label: str, ratio: float, target: float) -> str:
    verdict = "met" if ratio >= target else "NOT met"
    return f"  GOAL {label}: {ratio:.1f}x faster (goal >= {target:g}x: {verdict})"


def find_apy() -> str | None:
    local = Path("/tmp/apy-venv/bin/asyncapi-python-codegen")
    return str(local) if local.exists() else shutil.which("asyncapi-python-codegen")


def find_ag() -> str | None:
    local = Path("/tmp/nodegen/node_modules/.bin/ag")
    return str(local) if local.exists() else shutil.which("ag")


def baselines(size: int, tmp: Path, repeat: int) -> None:
    from synth import write_spec

    print(f"\n== baselines: {size} channels, whole command-line runs, best of {repeat} ==")
    asyncgen_cli = [sys.executable, "-m", "asyncgen", "generate", "--formatter", "ruff"]
    spec3 = write_spec(size, tmp)
    ours3 = cli_best([*asyncgen_cli, str(spec3), "-o", str(tmp / "cli3")], repeat, tmp / "cli3", REPO)
    print(row("asyncgen CLI, 3.0 spec", ours3))

    apy = find_apy()
    if apy:
        spec_apy = write_spec(size, tmp, variant="asyncapi-python")
        theirs = cli_best([apy, str(spec_apy), str(tmp / "apy")], repeat, tmp / "apy")
        print(row("asyncapi-python 0.3.x", theirs))
        print(goal(f"asyncgen vs asyncapi-python, {size} channels", theirs[0] / ours3[0], 10))
    else:
        print(f"  asyncapi-python: not installed, skipped. Install: {APY_INSTALL}")

    ag = find_ag()
    if ag:
        spec2 = write_spec(size, tmp, variant="2.6")
        ours2 = cli_best([*asyncgen_cli, str(spec2), "-o", str(tmp / "cli2")], repeat, tmp / "cli2", REPO)
        print(row("asyncgen CLI, 2.6 spec", ours2))
        node_out = tmp / "node"
        cmd = [ag, str(spec2), "@asyncapi/python-paho-template", "-o", str(node_out), "--force-write"]
        theirs = cli_best(cmd, repeat, node_out, cwd=Path(ag).resolve().parent.parent.parent)
        print(row("Node ag 1.x + python-paho", theirs))
        print(goal(f"asyncgen vs Node generator, {size} channels (2.6 spec)", theirs[0] / ours2[0], 3))
    else:
        print(f"  Node generator: not installed, skipped. Install: {NODE_INSTALL}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10,100,200,1000,2000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--black-size", type=int, default=200, help="also run this size with black (0: skip)")
    parser.add_argument("--baseline-size", type=int, default=200)
    parser.add_argument("--baseline-repeat", type=int, default=1)
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--profile", type=int, default=0, help="cProfile one run of this size; print top 25")
    parser.add_argument("--worker", nargs=3, metavar=("SPEC", "OUT", "FORMATTER"), help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        spec, out, formatter = args.worker
        worker(Path(spec), Path(out), formatter, Path(args.profile_out) if args.profile_out else None)
        return

    from synth import write_spec

    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(
        f"asyncgen generate() per size, fresh process per run, best of {args.repeat} (median); {load_note()}"
    )
    header = (
        f"{'channels':>8} {'fmt':>5} {'best s':>7} {'median':>7} {'ms/ch':>6} {'RSS MB':>6} "
        f"{'imports':>7} {'py lines':>8}  stages of the best run (s)"
    )
    print(header)
    with tempfile.TemporaryDirectory(prefix="asyncgen-bench-") as name:
        tmp = Path(name)
        results: dict[tuple[int, str], list[dict[str, Any]]] = {}
        jobs = [(size, "ruff") for size in sizes]
        if args.black_size:
            jobs.append((args.black_size, "black"))
        for size, formatter in jobs:
            spec = write_spec(size, tmp)
            runs = run_ours(spec, tmp, formatter, args.repeat)
            results[(size, formatter)] = runs
            best_run = min(runs, key=lambda r: r["seconds"])
            best, median = best_median([r["seconds"] for r in runs])
            rss = max(r["maxrss_kb"] for r in runs)
            per_channel = best / size * 1000
            print(
                f"{size:>8} {formatter:>5} {best:>7.2f} {median:>7.2f} {per_channel:>6.1f} {mb(rss):>6} "
                f"{best_run['imports']:>7.2f} "
                f"{best_run['py_lines']:>8}  {stage_line(best_run)}",
                flush=True,
            )
        ordered = sorted(sizes)
        if len(ordered) >= 2:
            bests = {n: min(r["seconds"] for r in results[(n, "ruff")]) for n in ordered}
            marginal = [
                f"{lo}->{hi}: {(bests[hi] - bests[lo]) / (hi - lo) * 1000:.1f}"
                for lo, hi in itertools.pairwise(ordered)
            ]
            print(
                "linearity: marginal ms per added channel (best runs; flat = linear, "
                f"the fixed cost is excluded): {', '.join(marginal)}"
            )
        if args.black_size and (args.black_size, "ruff") in results:
            ruff_runs = results[(args.black_size, "ruff")]
            black_runs = results[(args.black_size, "black")]
            r_best = min(ruff_runs, key=lambda r: r["seconds"])
            b_best = min(black_runs, key=lambda r: r["seconds"])
            r_fmt, b_fmt = r_best["stages"].get("format", 0), b_best["stages"].get("format", 0)
            print(
                f"formatter share at {args.black_size} channels: "
                f"ruff {r_fmt:.2f} s of {r_best['seconds']:.2f} s, "
                f"black {b_fmt:.2f} s of {b_best['seconds']:.2f} s"
            )
        if args.profile:
            spec = write_spec(args.profile, tmp)
            prof = tmp / "profile.out"
            out = tmp / "profiled"
            cmd = [
                sys.executable,
                __file__,
                "--worker",
                str(spec),
                str(out),
                "ruff",
                "--profile-out",
                str(prof),
            ]
            worker_json(cmd, cwd=REPO)
            import pstats

            print(f"\n== cProfile, {args.profile} channels, top 25 by cumulative time ==", flush=True)
            pstats.Stats(str(prof)).sort_stats("cumulative").print_stats(25)
        if not args.no_baselines:
            baselines(args.baseline_size, tmp, args.baseline_repeat)
    print("\nNo assertions: a shared, noisy machine. Read ratios measured in the same run.")


if __name__ == "__main__":
    main()
