"""Benchmark: the docs portal for a 1,000-channel spec (goals: build < 2 s, search < 100 ms).

    python bench/docs.py [--channels 1000] [--runs 3] [--keep DIR]

Prints figures, asserts nothing. Build time is split into the stages (load, validate,
parse: shared with ``generate``) and the portal's own work (views + render + write).
Search is measured inside Chromium with ``performance.now()`` around
``window.asyncgenSearch(query)`` (match, rank, render the result list) on the API page
and the index page; the first query of a page also builds the lower-case index.
Needs ``/usr/bin/chromium`` and ``playwright`` for the search half (skipped otherwise).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synth import write_spec

from asyncgen.docs import build_docs_from_apis
from asyncgen.docs.site import build_site
from asyncgen.document import LoadOptions

QUERIES = ("entity999", "status", "lines sku", "changed", "qty", "e")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def timed(func, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = func(*args, **kwargs)
    return value, time.perf_counter() - start


def build(spec: Path, out: Path) -> dict[str, float]:
    from asyncgen.load import load
    from asyncgen.parse import parse
    from asyncgen.validate import validate

    doc, t_load = timed(load, spec, LoadOptions())
    _, t_validate = timed(validate, doc)
    api, t_parse = timed(parse, doc)
    _, t_views = timed(build_site, [api])
    sources = {str(spec): spec.read_bytes()}
    if out.exists():
        shutil.rmtree(out)
    _, t_site = timed(build_docs_from_apis, [api], out, sources=[sources])
    return {
        "load": t_load,
        "validate": t_validate,
        "parse": t_parse,
        "views": t_views,
        "site (views+render+write)": t_site,
        "total": t_load + t_validate + t_parse + t_site,
    }


def search(site: Path, runs: int) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("search: skipped (pip install playwright)")
        return
    if not Path("/usr/bin/chromium").is_file():
        print("search: skipped (apt-get install chromium)")
        return
    page_name = next(p.name for p in site.glob("*.html") if p.name != "index.html")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for name in ("index.html", page_name):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            start = time.perf_counter()
            page.goto((site / name).as_uri())
            page.wait_for_load_state("load")
            loaded = time.perf_counter() - start
            entries = page.evaluate("window.ASYNCGEN_SEARCH.length")
            cold = page.evaluate(f"window.asyncgenSearch({QUERIES[0]!r})")
            print(f"\n{name}: loaded in {loaded * 1000:.0f} ms, {entries} search entries")
            print(
                f"  first query {QUERIES[0]!r} (builds the index): {cold['ms']:.1f} ms, {cold['count']} hits"
            )
            for query in QUERIES:
                times = []
                count = 0
                for _ in range(runs):
                    result = page.evaluate(f"window.asyncgenSearch({query!r})")
                    times.append(result["ms"])
                    count = result["count"]
                print(
                    f"  {query!r:12} {count:6} hits  median {statistics.median(times):6.1f} ms"
                    f"  max {max(times):6.1f} ms"
                )
            page.close()
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="Build the site here and keep it.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="asyncgen-bench-docs-") as tmp:
        spec = write_spec(args.channels, Path(tmp) / "spec")
        out = args.keep or Path(tmp) / "site"
        print(f"docs portal for {args.channels} channels ({spec.stat().st_size // 1024} KiB spec)")
        rounds = [build(spec, out) for _ in range(args.runs)]
        for key in rounds[0]:
            values = [r[key] for r in rounds]
            print(f"  {key:28} median {statistics.median(values):6.2f} s  min {min(values):6.2f} s")
        sizes = {
            p.name: p.stat().st_size for p in out.rglob("*") if p.is_file() and p.suffix in (".html", ".js")
        }
        for name, size in sorted(sizes.items(), key=lambda kv: -kv[1])[:4]:
            print(f"  {name:28} {size / 1024:8.0f} KiB")
        search(out, max(args.runs, 5))


if __name__ == "__main__":
    main()
