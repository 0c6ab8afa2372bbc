"""The command's entry point forks dcg's worker before its imports when a run cannot be up to date."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from asyncgen import dcgworker, launch
from asyncgen.output import MANIFEST_PATH

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from synth import synth_spec


def test_the_manifest_path_is_the_output_stage_s() -> None:
    assert launch.MANIFEST == str(MANIFEST_PATH)


@pytest.mark.parametrize(
    ("argv", "found"),
    [
        (["generate", "s.yaml", "-o", "out"], ("out", {"s.yaml"})),
        (["generate", "--out", "o u t", "s.yaml", "--check"], ("o u t", {"s.yaml", "--check"})),
        (["generate", "--out=out", "s.yaml"], ("out", {"s.yaml"})),
        (["generate", "-oout", "s.yaml", "--no-cache"], ("out", {"s.yaml", "--no-cache"})),
        (["generate", "s.yaml", "-o"], None),  # click reports it
        (["generate", "s.yaml"], None),
        (["generate", "s.yaml", "-o", "out", "--help"], None),
        (["validate", "s.yaml", "-o", "out"], None),
        ([], None),
    ],
)
def test_generate_command_lines_are_recognised(argv: list[str], found: tuple[str, set[str]] | None) -> None:
    assert launch.generate_out(argv) == (None if found is None else (found[0], frozenset(found[1])))


def test_only_a_run_that_cannot_be_up_to_date_forks_early(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = {"cache": True, "check": False, "fail_on_warning": False, "allow_remote": False}
    assert launch.cannot_be_up_to_date(tmp_path, **settings)  # no manifest
    (tmp_path / MANIFEST_PATH).parent.mkdir()
    (tmp_path / MANIFEST_PATH).write_text("{}")
    assert not launch.cannot_be_up_to_date(tmp_path, **settings)  # the manifest may prove it: look first
    for flag in ("check", "fail_on_warning", "allow_remote"):
        assert launch.cannot_be_up_to_date(tmp_path, **{**settings, flag: True})
    assert launch.cannot_be_up_to_date(tmp_path, **{**settings, "cache": False})
    monkeypatch.setenv("ASYNCGEN_NO_CACHE", "1")
    assert launch.cannot_be_up_to_date(tmp_path, **settings)

    # main(): the worker forked before the CLI runs, taken by the run, stopped when no run took it
    monkeypatch.delenv("ASYNCGEN_NO_CACHE")
    monkeypatch.setenv("ASYNCGEN_DCG_WORKER", "0")  # a stand-in saying why, no fork
    seen: list[object] = []

    def cli(take: bool) -> None:
        seen.append(dcgworker._PENDING[0] if dcgworker._PENDING else None)
        if take:
            seen.append(dcgworker.start())
        raise SystemExit(0)

    import asyncgen.cli

    exits: list[int] = []
    monkeypatch.setattr(launch, "_exit_now", exits.append)  # the real one ends this process
    for out, take in ((tmp_path / "new", True), (tmp_path / "new", False), (tmp_path, True)):
        seen.clear()
        monkeypatch.setattr(asyncgen.cli, "main", lambda take=take: cli(take))
        monkeypatch.setattr(sys, "argv", ["asyncgen", "generate", "s.yaml", "-o", str(out)])
        try:
            with pytest.raises(SystemExit):
                launch.main()
            assert exits.pop() == 0 and not gc.isenabled()  # a one-shot run: no collector, no teardown
        finally:
            gc.enable()
        assert not dcgworker._PENDING
        if out == tmp_path:  # a manifest: no early worker; generate() forks its own when needed
            assert seen[0] is None
        else:
            assert isinstance(seen[0], dcgworker.DcgWorker)
            assert seen[0].note == "in-process: ASYNCGEN_DCG_WORKER=0"
            assert seen[1:] == ([seen[0]] if take else [])


def test_the_command_runs_dcg_in_the_worker_it_forked_first(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump(synth_spec(3), sort_keys=False))
    env = {**os.environ, "ASYNCGEN_DCG_WORKER": "1", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    command = [
        sys.executable,
        "-m",
        "asyncgen",
        "generate",
        str(spec),
        "-o",
        str(tmp_path / "out"),
        "--format",
        "json",
    ]
    runs = [
        json.loads(subprocess.run(command, env=env, capture_output=True, check=True).stdout) for _ in "12"
    ]
    assert (runs[0]["models"]["worker"], runs[0]["up_to_date"]) == ("worker", False)
    assert (runs[1]["models"]["worker"], runs[1]["up_to_date"]) == (None, True)
    # the exit code and the whole output survive the exit without the interpreter's teardown
    readme = (tmp_path / "out" / "README.md").read_text().splitlines()
    (tmp_path / "out" / "README.md").write_text("edited\n")
    drift = subprocess.run([*command[:-2], "--check"], check=False, env=env, capture_output=True, text=True)
    assert drift.returncode == 1
    assert drift.stdout.splitlines()[-len(readme) :] == [f"+{line}" for line in readme]  # all of it
