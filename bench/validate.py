"""Validate time per spec size (10-5,000 channels), and the ratio to the official Node CLI.

    python bench/validate.py [--sizes 10,100,1000,5000] [--repeat 3] [--node-cli PATH]

Prints load+validate seconds per size, seconds per channel (linear growth => flat),
and, when the Node CLI is available (`asyncapi` on PATH, `--node-cli`, or
`npx @asyncapi/cli`), its time on the same file and the ratio. No assertions:
these machines are shared and noisy; read the ratios.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import write_spec

from asyncgen.load import load
from asyncgen.validate import validate


def best_of(repeat: int, func: object) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return min(times)


def node_cli(explicit: str | None) -> list[str] | None:
    if explicit:
        return [explicit]
    local = Path("/tmp/nodecli/node_modules/.bin/asyncapi")
    if local.exists():
        return [str(local)]
    if shutil.which("asyncapi"):
        return ["asyncapi"]
    return None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10,100,1000,5000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--node-cli", default=None, help="path to the @asyncapi/cli `asyncapi` binary")
    parser.add_argument("--node-sizes", default="1000", help="sizes to also run the Node CLI on")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    node_sizes = {int(s) for s in args.node_sizes.split(",") if s}
    cli = node_cli(args.node_cli)
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'channels':>8} {'asyncgen s':>11} {'us/channel':>11} {'node s':>8} {'ratio':>8}")
        for size in sizes:
            path = write_spec(size, Path(tmp))

            def run(path: Path = path) -> None:
                problems = [p for p in validate(load(path)) if p.severity == "error"]
                if problems:
                    raise SystemExit(f"synthetic spec invalid: {problems[0].format()}")

            ours = best_of(args.repeat, run)
            node_s = ratio = ""
            if cli and size in node_sizes:
                t0 = time.perf_counter()
                proc = subprocess.run(
                    [*cli, "validate", str(path)], capture_output=True, text=True, check=False
                )
                node = time.perf_counter() - t0
                verdict = "ok" if proc.returncode == 0 else f"rc={proc.returncode}"
                node_s = f"{node:.2f}"
                ratio = f"{ours / node:.3f}" + ("" if verdict == "ok" else f" ({verdict})")
            print(f"{size:>8} {ours:>11.3f} {ours / size * 1e6:>11.1f} {node_s:>8} {ratio:>8}")
        if not cli:
            print("(Node CLI not found: npm install @asyncapi/cli, or pass --node-cli, for the comparison)")
        else:
            print("ratio = asyncgen time / Node CLI time on the same file (goal < 0.1)")


if __name__ == "__main__":
    main()
