"""The load stage (and validate, parse after it) in-process, against a baseline checkout.

    python bench/load.py [--baseline DIR] [--channels 1000] [--repeat 7] [--corpus DIR]

e.g. ``git worktree add /tmp/base <commit>`` then ``python bench/load.py --baseline /tmp/base``.

On the synthetic N-channel AsyncAPI 3.0 spec (default 1,000 channels, ~1.2 MB of YAML)
and on every corpus spec that loads with default options, one long-lived worker process
per checkout (this one, and ``--baseline``: another checkout of asyncgen, e.g. a
``git worktree`` of an older commit) times, round after round, alternating which goes
first:

* compose  - ``yaml12.compose`` of the spec text (libyaml's events into located nodes);
* load     - ``load()`` of the spec (read, compose, resolve refs);
* +raw     - ``load()`` and reading ``Document.raw`` (made on first read since loadfast);
* validate / parse - ``validate()`` and ``parse()`` of that document;
* l+v+p    - the three together: what every (re)generation pays;
* vmemo    - ``validate(doc, memo_dir)`` after a one-channel change (a schema property added
  or removed, alternating), with the memo of the previous round (``asyncgen.validate.memo``);
  a checkout without the memo validates cold;
* corpus   - ``load`` + ``validate`` (+ ``parse`` when valid) of each corpus spec.

The collector is paused during each timing (as ``generate()`` does) and run between
them. Best of ``--repeat`` rounds, median beside it, and the ratio to the baseline of the
same run. No assertions: a shared, noisy machine.
"""

from __future__ import annotations

import argparse
import ast
import atexit
import gc
import inspect
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, best_median, load_note

#: ../shared/corpus, like the tests (ASYNCGEN_SHARED_DIR overrides ../shared)
DEFAULT_CORPUS = Path(os.environ.get("ASYNCGEN_SHARED_DIR", REPO.parent / "shared")) / "corpus"
KEYS = ("compose", "load", "+raw", "validate", "parse", "l+v+p", "vmemo", "corpus")


def worker(spec: Path, corpus: list[str]) -> None:
    """Answer each stdin line with one round of timings (a dict literal on stdout)."""
    from asyncgen import yaml12
    from asyncgen.load import load
    from asyncgen.parse import parse
    from asyncgen.validate import validate

    text = spec.read_text(encoding="utf-8")
    keep: list[Any] = []
    # the one-channel change of bench/regenerate.py, as a second file; validation's memo folder
    from regenerate import change_one_channel

    changed = spec.with_name("changed-" + spec.name)
    changed.write_text(text, encoding="utf-8")
    change_one_channel(changed, 500, add=True)
    memo_dir = Path(tempfile.mkdtemp(prefix="asyncgen-vmemo-"))
    atexit.register(shutil.rmtree, memo_dir, ignore_errors=True)
    with_memo = "memo_dir" in inspect.signature(validate).parameters
    flips = [spec, changed]

    def paused(func: Callable[[], Any]) -> float:
        keep.clear()
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            keep.append(func())
            return time.perf_counter() - t0
        finally:
            gc.enable()

    def valid(errors: list[Any]) -> bool:
        return not [e for e in errors if getattr(e, "severity", "error") == "error"]

    def corpus_run() -> list[Any]:
        out = []
        for path in corpus:
            doc = load(path)
            out.append(doc)
            if valid(validate(doc)):
                out.append(parse(doc))
        return out

    def one_round() -> dict[str, float]:
        times = {
            "compose": paused(lambda: yaml12.compose(text, str(spec), max_depth=400, max_nodes=5_000_000)),
            "load": paused(lambda: load(spec)),
            "+raw": paused(lambda: load(spec).raw),
        }
        stages: dict[str, float] = {}

        def pipeline() -> Any:
            t0 = time.perf_counter()
            doc = load(spec)
            t1 = time.perf_counter()
            validate(doc)
            t2 = time.perf_counter()
            api = parse(doc)
            stages.update(validate=t2 - t1, parse=time.perf_counter() - t2)
            return doc, api, t1 - t0

        times["l+v+p"] = paused(pipeline)
        times.update(stages)
        flips.reverse()
        doc = load(flips[0])
        times["vmemo"] = paused(lambda: validate(doc, memo_dir) if with_memo else validate(doc))
        times["corpus"] = paused(corpus_run)
        return times

    one_round()  # warm: imports, caches (and the memo)
    print("ready", Path(yaml12.__file__).parent.parent, flush=True)
    for _ in sys.stdin:
        print(repr(one_round()), flush=True)


def loadable(corpus: Path, tree: Path) -> list[str]:
    """Corpus specs (MANIFEST.tsv, not invalid/) that ``tree``'s load() accepts with default options."""
    if not (corpus / "MANIFEST.tsv").is_file():
        return []
    code = (
        "import csv, sys\nfrom pathlib import Path\nfrom asyncgen.load import load\n"
        "root = Path(sys.argv[1])\n"
        "for row in csv.DictReader(open(root / 'MANIFEST.tsv', encoding='utf-8'), delimiter='\\t'):\n"
        "    path = root / row['file']\n"
        "    if row['file'].startswith('invalid/') or not path.is_file(): continue\n"
        "    try: load(path)\n"
        "    except Exception: continue\n"
        "    print(path)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run(
        [sys.executable, "-c", code, str(corpus)], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baseline", type=Path, help="another asyncgen checkout to compare with")
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--worker", nargs=2, metavar=("SPEC", "LIST"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        spec, listing = args.worker
        worker(Path(spec), Path(listing).read_text(encoding="utf-8").split())
        return

    sys.path.insert(0, str(REPO))
    from synth import write_spec

    trees = {"this": REPO}
    if args.baseline:
        trees = {"baseline": args.baseline.resolve(), **trees}
    with tempfile.TemporaryDirectory() as tmp:
        spec = write_spec(args.channels, Path(tmp))
        corpus = loadable(args.corpus, REPO)
        listing = Path(tmp) / "corpus.txt"
        listing.write_text("\n".join(corpus), encoding="utf-8")
        procs = {}
        for name, tree in trees.items():
            env = dict(os.environ, PYTHONPATH=str(tree))
            cmd = [sys.executable, __file__, "--worker", str(spec), str(listing)]
            proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            assert proc.stdout is not None
            ready = proc.stdout.readline().split()
            assert ready[:1] == ["ready"] and Path(ready[1]) == tree, (name, ready)  # the tree's asyncgen
            procs[name] = proc
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name in procs}
        order = list(procs)
        for index in range(args.repeat):
            for name in order if index % 2 == 0 else reversed(order):
                proc = procs[name]
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
                rounds[name].append(ast.literal_eval(proc.stdout.readline()))
        for proc in procs.values():
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait()
        size = spec.stat().st_size
    print(
        f"load stage: {args.channels} channels ({size / 1e6:.2f} MB YAML) and {len(corpus)} corpus specs; "
        f"best of {args.repeat} (median), ms; {load_note()}"
    )
    header = f"{'':10}" + "".join(f"{name + ' ' + str(tree)[-28:]:>40}" for name, tree in trees.items())
    print(header + ("   this/baseline" if args.baseline else ""))
    for key in KEYS if corpus else KEYS[:-1]:
        line = f"{key:10}"
        best: dict[str, float] = {}
        for name in trees:
            low, median = best_median([r[key] for r in rounds[name]])
            best[name] = low
            line += f"{f'{low * 1000:.1f} ({median * 1000:.1f})':>40}"
        if args.baseline:
            line += f"   {best['this'] / best['baseline']:.2f}"
        print(line)


if __name__ == "__main__":
    main()
