"""Incremental regeneration: no-change and one-channel-change runs as a share of a full one.

    python bench/regenerate.py [--channels 1000] [--repeat 3]

On the synthetic N-channel AsyncAPI 3.0 spec (default 1,000), each run in a fresh
process (what a user's ``asyncgen generate`` costs, lazy imports included):

* full        - ``generate()`` into a fresh directory;
* no change   - ``generate()`` again on the same spec and output;
* one channel - one schema of the spec file changed (a property added, then removed
  again on the next run, so every run is a real change), then ``generate()``;
* --check     - ``generate(check=True)`` on an up-to-date output (renders everything,
  writes nothing: CI's drift check);
* "... worker" / "... in-proc" rows - the same with ``ASYNCGEN_DCG_WORKER=1`` (dcg always in
  the pre-warmed worker) and ``=0`` (always in the main process); the plain rows let asyncgen
  decide (a worker only with an idle CPU). Each one-channel row changes another channel.

asyncgen is byte-compiled first, as ``pip install`` leaves it (``--source``: as found; under
``PYTHONDONTWRITEBYTECODE=1`` every process then compiles its modules from source).

Printed: best and median seconds of ``generate()`` inside the process and of the
whole process, and each as a share of the full generation; and the CPU seconds
``generate()`` cost (the process and its children: the dcg worker, ruff), steadier than
wall time on a loaded machine. Goal: no-change and one-channel-change each <= 10% of a
full generation. No assertions (noisy machines). asyncgen's caches go to a temporary
``XDG_CACHE_HOME`` of the run's own (removed afterwards).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, best_median, byte_compile, load_note, mb, setup_path, worker_json

setup_path()

STAGES = ("load", "validate", "parse", "models", "context", "render", "format", "write")


def _wrap(module: Any, name: str, stage: str, times: dict[str, float]) -> None:
    original: Callable[..., Any] = getattr(module, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            times[stage] = times.get(stage, 0.0) + time.perf_counter() - t0

    setattr(module, name, timed)


def worker(spec: Path, out: Path, check: bool) -> None:
    t0 = time.perf_counter()
    import asyncgen.generate as gen
    import asyncgen.load
    import asyncgen.parse
    import asyncgen.validate

    imports = time.perf_counter() - t0
    times: dict[str, float] = {}
    for module, name, stage in (
        (asyncgen.load, "load", "load"),
        (asyncgen.validate, "validate", "validate"),
        (asyncgen.parse, "parse", "parse"),
        (gen, "build_models", "models"),
        (gen, "build_template_context", "context"),
        (gen, "render", "render"),
        (gen, "format_files", "format"),
        (gen, "write_output", "write"),
    ):
        _wrap(module, name, stage, times)
    t0, cpu0 = time.perf_counter(), time.process_time()
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = gen.generate(spec, out, formatter="ruff", check=check)
    seconds = time.perf_counter() - t0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - cpu0
    cpu_children = children.ru_utime + children.ru_stime - children0.ru_utime - children0.ru_stime
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "cpu_children": cpu_children,
                "imports": imports,
                "models_worker": result.models_worker,
                "format_reused": len(result.format_reused),
                "format_spliced": len(result.format_spliced),
                "examples_reused": result.examples_reused,
                "rendered": len(result.rendered),
                "reused": len(result.reused),
                "written": len(result.written),
                "models_cached": result.models_cached,
                "models_mode": result.models_mode,
                "models_regenerated": len(result.models_regenerated),
                "stages": times,
                "up_to_date": result.up_to_date,
                "drift": len(result.drift) if check else 0,
                "modules": sorted(
                    m for m in ("datamodel_code_generator", "jinja2", "black") if m in sys.modules
                ),
            }
        )
    )


def run(spec: Path, out: Path, check: bool = False, worker: str = "auto") -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", str(spec), str(out)]
    if check:
        cmd.append("--check")
    return worker_json(cmd, cwd=REPO, env={**os.environ, "ASYNCGEN_DCG_WORKER": worker})


def change_one_channel(spec: Path, channel: int, add: bool) -> None:
    """Add (or remove) a property of one channel's payload schema, in the spec file itself."""
    doc = yaml.safe_load(spec.read_text(encoding="utf-8"))
    properties = doc["components"]["schemas"][f"Entity{channel}Payload"]["properties"]
    if add:
        properties["note"] = {"type": "string", "maxLength": 200}
    else:
        properties.pop("note", None)
    spec.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--worker", nargs=2, metavar=("SPEC", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--check", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--source",
        action="store_true",
        help="do not byte-compile asyncgen first (PYTHONDONTWRITEBYTECODE=1: from source each run)",
    )
    args = parser.parse_args()
    if args.worker:
        worker(Path(args.worker[0]), Path(args.worker[1]), args.check)
        return

    from synth import write_spec

    n = args.channels
    compiled = "modules as found (--source)" if args.source else byte_compile()
    print(f"regeneration on {n} channels, fresh process per run, best of {args.repeat}; {compiled}; ", end="")
    print(load_note())
    with tempfile.TemporaryDirectory(prefix="asyncgen-regen-") as name:
        tmp = Path(name)
        # asyncgen's caches (per-project, compiled templates) in a folder of this run's own:
        # never the user's ~/.cache, and no run starts warmer than the bench sets up
        os.environ["XDG_CACHE_HOME"] = str(tmp / "cache")
        os.environ.pop("ASYNCGEN_NO_CACHE", None)
        spec = write_spec(n, tmp)
        out = tmp / "out"
        rows: dict[str, list[dict[str, Any]]] = {
            "full": [],
            "full worker": [],
            "full in-proc": [],
            "no change": [],
            "one channel": [],
            "one worker": [],
            "one in-proc": [],
            "--check": [],
        }
        # interleaved rounds (full, no change, one channel, --check): a load spike on a shared
        # machine hits every kind of run alike, so the ratios stay fair
        run(spec, out)  # the output the other runs start from
        for i in range(args.repeat):
            shutil.rmtree(tmp / "fresh", ignore_errors=True)
            for label, dcg in (("full", "auto"), ("full worker", "1"), ("full in-proc", "0")):
                shutil.rmtree(tmp / "fresh", ignore_errors=True)
                rows[label].append(run(spec, tmp / "fresh", worker=dcg))
            rows["no change"].append(run(spec, out))
            for offset, (label, dcg) in enumerate(
                (("one channel", "auto"), ("one worker", "1"), ("one in-proc", "0"))
            ):
                change_one_channel(spec, n // 2 + offset, add=i % 2 == 0)
                rows[label].append(run(spec, out, worker=dcg))
            rows["--check"].append(run(spec, out, check=True))

        full_best = min(r["seconds"] for r in rows["full"])
        full_wall = min(r["wall"] for r in rows["full"])
        full_cpu = min(r["cpu"] + r["cpu_children"] for r in rows["full"])
        print(
            f"{'run':<12} {'generate s':>10} {'median':>7} {'% full':>7} {'process s':>9} {'median':>7} "
            f"{'% full':>7} {'CPU s':>6} {'% full':>7} {'RSS MB':>6}  what was redone (best run)"
        )
        for label, runs in rows.items():
            best, median = best_median([r["seconds"] for r in runs])
            wall, wall_median = best_median([r["wall"] for r in runs])
            top = min(runs, key=lambda r: r["seconds"])
            rss = max(r["maxrss_kb"] for r in runs)
            cpu = min(r["cpu"] + r["cpu_children"] for r in runs)
            what = (
                f"rendered {top['rendered']}, reused {top['reused']}, written {top['written']}, "
                f"formatted again {top['rendered'] - top['format_reused']} "
                f"({top.get('format_spliced', 0)} by changed pieces), "
                f"examples from cache {top['examples_reused']}, "
                f"models {top['models_mode']} (dcg over {top['models_regenerated']} schemas"
                + (f", {top['models_worker']}" if top["models_worker"] else "")
                + ")"
                + (", up to date (nothing loaded)" if top["up_to_date"] else "")
                + (f", drift {top['drift']}" if label == "--check" else "")
                + (f"; imported {'/'.join(top['modules'])}" if top["modules"] else "")
            )
            print(
                f"{label:<12} {best:>10.2f} {median:>7.2f} {best / full_best:>7.1%} {wall:>9.2f} "
                f"{wall_median:>7.2f} {wall / full_wall:>7.1%} {cpu:>6.2f} {cpu / full_cpu:>7.1%} "
                f"{mb(rss):>6}  {what}"
            )
        print("stages of the best run of each (s): " + ", ".join(STAGES))
        for label, runs in rows.items():
            top = min(runs, key=lambda r: r["seconds"])
            cells = " ".join(f"{top['stages'].get(s, 0.0):.2f}" for s in STAGES)
            print(f"  {label:<12} {cells}  (other {top['seconds'] - sum(top['stages'].values()):.2f})")
        for label in ("no change", "one channel"):
            share = min(r["seconds"] for r in rows[label]) / full_best
            share_wall = min(r["wall"] for r in rows[label]) / full_wall
            share_cpu = min(r["cpu"] + r["cpu_children"] for r in rows[label]) / full_cpu
            verdict = "met" if share <= 0.10 else "NOT met"
            print(
                f"GOAL {label}: {share:.1%} of a full generation (whole process: {share_wall:.1%}, "
                f"CPU: {share_cpu:.1%}); "
                f"goal <= 10%: {verdict}"
            )
    print("No assertions: a shared, noisy machine. Read ratios measured in the same run.")


if __name__ == "__main__":
    main()
