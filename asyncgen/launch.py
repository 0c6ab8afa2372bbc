"""The ``asyncgen`` command's entry point: the CLI (:mod:`asyncgen.cli`), with dcg's worker forked first.

A cold ``asyncgen generate`` waits for datamodel-code-generator's start-up in its worker
(:mod:`asyncgen.dcgworker`: ~0.3 s of imports and a warm-up call). Forked from
:func:`asyncgen.generate.generate`, the worker starts after the CLI's and the pipeline's
imports (~0.1 s) and the settings; forked here, before all of them, it is warm by the time
the spec is parsed. Only when the run surely cannot be up to date (no manifest in OUT, or a
flag that skips the check, :func:`cannot_be_up_to_date`): a no-change run forks nothing.
This module imports nothing heavy; the command line is looked at, not parsed (click does
that): a wrong guess only forks a worker the run would have forked later, or not at all.
A ``generate`` run also skips the garbage collector and the interpreter's teardown (:func:`main`).
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence

#: :data:`asyncgen.output.MANIFEST_PATH` (not imported: this module must stay light)
MANIFEST = ".asyncgen/manifest.json"


def cannot_be_up_to_date(
    out: str | os.PathLike[str], *, cache: bool, check: bool, fail_on_warning: bool, allow_remote: bool
) -> bool:
    """Whether :func:`asyncgen.generate.generate` will surely not take its up-to-date shortcut."""
    from asyncgen.cachedir import disabled_by_env

    if not cache or check or fail_on_warning or allow_remote or disabled_by_env():
        return True
    return not os.path.isfile(os.path.join(out, MANIFEST))


def generate_out(args: Sequence[str]) -> tuple[str, frozenset[str]] | None:
    """OUT and the other arguments of a ``generate`` command line (None: not one, or no OUT)."""
    if not args or args[0] != "generate":
        return None
    out: str | None = None
    rest: set[str] = set()
    i = 1
    while i < len(args):
        arg = args[i]
        if arg == "--":
            break
        if arg in ("-h", "--help"):
            return None
        if arg in ("-o", "--out"):
            out = args[i + 1] if i + 1 < len(args) else None
            i += 2
            continue
        if arg.startswith("--out="):
            out = arg.removeprefix("--out=")
        elif arg.startswith("-o"):
            out = arg.removeprefix("-o")
        else:
            rest.add(arg)
        i += 1
    return (out, frozenset(rest)) if out else None


def main() -> None:
    """The ``asyncgen`` command. A ``generate`` run is one shot: the cyclic garbage collector stays
    off (it finds nothing to free there; the run itself pauses it anyway, :mod:`asyncgen.gcpause`,
    and re-enabling it cost a full collection of the run's heap before the summary was printed),
    and the process ends without the interpreter's teardown of that heap once the output is written
    and flushed (together ~0.1 s of a ~1.2 s cold run at 200 channels; more on bigger specs)."""
    args = sys.argv[1:]
    one_shot = args[:1] == ["generate"]
    if one_shot:
        gc.disable()
    try:
        _run(args)
    except SystemExit as done:
        if one_shot and (done.code is None or isinstance(done.code, int)):
            _exit_now(done.code or 0)
        raise


def _run(args: Sequence[str]) -> None:
    found = generate_out(args)
    early = found is not None and cannot_be_up_to_date(
        found[0],
        cache="--no-cache" not in found[1],
        check="--check" in found[1],
        fail_on_warning="--fail-on-warning" in found[1],
        allow_remote="--allow-remote" in found[1],
    )
    if early:
        from asyncgen import dcgworker

        dcgworker.prestart()
    try:
        from asyncgen.cli import main as cli

        cli()
    finally:
        if early:
            dcgworker.discard_pending()


def _exit_now(code: int) -> None:
    """End the process with ``code`` after flushing stdout and stderr, skipping the interpreter's
    teardown (every resource of the run - files, the worker, temporary folders - is closed by then)."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: what the interpreter's own exit reports as 120
        code = code or 120
    os._exit(code)
