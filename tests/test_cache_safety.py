"""Caches live in the user's private cache folder; nothing in the output is ever trusted as one.

The output folder is committed to git and comes back through pull requests: a cache in it
that says "this is the code the generator makes" would let a hand edit through ``--check``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO_ROOT, project_cache
from project_support import tree_bytes

from asyncgen import cachedir
from asyncgen.cli import main
from asyncgen.generate import ENGINE_MARK, EXAMPLES_CACHE, FORMAT_CACHE, MODELS_CACHE, generate
from asyncgen.load import load
from asyncgen.validate import memo as validate_memo

SPEC = REPO_ROOT / "specs" / "streetlights-mqtt.asyncapi.yaml"
EXAMPLE = REPO_ROOT / "generated_examples" / "streetlights-mqtt"
MODELS = "streetlights_controller/models.py"
LINE = "from __future__ import annotations\n"
CACHES = (MODELS_CACHE, FORMAT_CACHE, EXAMPLES_CACHE)


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["generate", str(SPEC), *args])
    return result.exit_code, result.output


def _inject(path: Path, text: str) -> str:
    assert LINE in text
    return text.replace(LINE, LINE + "import os  # injected\n", 1)


def test_a_poisoned_cache_in_the_output_does_not_fool_check(tmp_path: Path) -> None:
    out = tmp_path / "project"
    shutil.copytree(EXAMPLE, out)
    assert _cli("-o", str(out), "--check")[0] == 0  # the committed example is what asyncgen makes
    # a developer's machine that keeps its cache: an honest run's models cache, for this output
    generate(SPEC, tmp_path / "honest")
    shutil.copytree(project_cache(tmp_path / "honest"), project_cache(out), dirs_exist_ok=True)
    # an old-style cache whose key matches these schemas (exactly what asyncgen wrote into
    # OUT/.asyncgen/ before)
    honest = json.loads((project_cache(out) / MODELS_CACHE).read_text())
    assert honest["key"] and LINE in honest["code"]
    # the pull request: models.py and the committed cache changed consistently
    honest["code"] = _inject(out, honest["code"])
    (out / ".asyncgen" / MODELS_CACHE).write_text(json.dumps(honest, indent=1))
    (out / MODELS).write_text(_inject(out, (out / MODELS).read_text()))

    code, output = _cli("-o", str(out), "--check", "--format", "json")
    assert code == 1, output
    report = json.loads(output)
    assert [d["path"] for d in report["drift"]] == [MODELS] and report["models"]["mode"] == "cached"
    code, output = _cli("-o", str(out), "--check")
    assert code == 1, output
    assert "+import os  # injected" not in output and "-import os  # injected" in output
    assert "1 file(s) differ" in output and "never read" in output
    # the check wrote nothing: neither into the output nor into the private cache
    assert (out / ".asyncgen" / MODELS_CACHE).exists()
    assert "injected" not in (project_cache(out) / MODELS_CACHE).read_text()

    # the same with a cold machine (no private cache at all): everything is rendered
    shutil.rmtree(project_cache(out))
    code, output = _cli("-o", str(out), "--check", "--format", "json")
    assert code == 1
    report = json.loads(output)
    assert [d["path"] for d in report["drift"]] == [MODELS] and report["models"]["mode"] == "full"
    assert report["cache"]["legacy"] == [f".asyncgen/{MODELS_CACHE}"]
    assert cachedir.project_dir(out, create=False) == (None, None)  # --check made no cache folder


def test_caches_are_never_written_into_the_output_and_old_ones_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "project"
    shutil.copytree(EXAMPLE, out)
    for name in CACHES:  # what older asyncgen versions committed beside the manifest
        (out / ".asyncgen" / name).write_text('{"version": 1, "key": "stale"}\n')
    before = tree_bytes(out)
    code, output = _cli("-o", str(out))
    assert code == 0, output
    assert "removed" in output and ".asyncgen/models-cache.json" in output
    assert sorted(p.name for p in (out / ".asyncgen").iterdir()) == ["manifest.json"]
    after = tree_bytes(out)  # the manifest's input hashes depend on how the spec's path is spelled
    assert {k: v for k, v in after.items() if not k.startswith(".asyncgen/")} == {
        k: v for k, v in before.items() if not k.startswith(".asyncgen/")
    }
    folder = project_cache(out)
    memo = validate_memo.file_name(load(SPEC))  # validation's memo (asyncgen.validate.memo)
    assert sorted(p.name for p in folder.iterdir()) == sorted((*CACHES, ENGINE_MARK, memo))
    assert folder.stat().st_mode & 0o777 == 0o700
    assert folder.name == cachedir.project_key(out) and folder.parent.name == "projects"
    # the next run uses them (nothing changed: no dcg run) and still writes nothing into OUT
    (out / "README.md").unlink()  # so that the manifest's up-to-date shortcut does not apply
    again = generate(SPEC, out)
    assert again.models_mode == "cached" and again.cache_dir == str(folder) and again.cache_fallback is None
    assert tree_bytes(out) == after


def test_no_cache_reads_and_writes_no_cache_and_gives_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    cached, uncached, by_env = tmp_path / "cached", tmp_path / "uncached", tmp_path / "env"
    assert _cli("-o", str(cached))[0] == 0
    listing = sorted(p.relative_to(home).as_posix() for p in home.rglob("*"))
    assert _cli("-o", str(uncached), "--no-cache")[0] == 0
    assert _cli("-o", str(uncached), "--no-cache")[0] == 0  # a second run: still no cache made
    monkeypatch.setenv("ASYNCGEN_NO_CACHE", "1")
    result = generate(SPEC, by_env)
    assert result.cache_dir is None and "disabled" in (result.cache_fallback or "")
    # no project folder and no compiled template was added by the runs without cache
    assert sorted(p.relative_to(home).as_posix() for p in home.rglob("*")) == listing
    assert tree_bytes(uncached) == tree_bytes(cached) == tree_bytes(by_env)


@pytest.mark.parametrize("unsafe", ["symlink", "mode"])
def test_an_unsafe_cache_folder_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unsafe: str
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    out, reference = tmp_path / "out", tmp_path / "reference"
    generate(SPEC, reference)
    folder = tmp_path / "xdg" / "asyncgen" / "projects" / cachedir.project_key(out)
    folder.parent.mkdir(parents=True, exist_ok=True)
    elsewhere = tmp_path / "elsewhere"
    if unsafe == "symlink":  # someone else's folder, reached through a link
        elsewhere.mkdir(mode=0o700)
        folder.symlink_to(elsewhere)
    else:  # a folder anybody could have written into
        folder.mkdir()
        os.chmod(folder, 0o777)
    first = generate(SPEC, out)
    assert first.cache_dir is None and first.models_mode == "full"
    assert ("symlink" if unsafe == "symlink" else "writable by others") in (first.cache_fallback or "")
    # a poisoned models cache there is never read, and nothing is written there
    target = elsewhere if unsafe == "symlink" else folder
    poisoned = json.loads((project_cache(reference) / MODELS_CACHE).read_text())
    poisoned["code"] = _inject(out, poisoned["code"])
    (target / MODELS_CACHE).write_text(json.dumps(poisoned))
    (out / "README.md").unlink()  # a real run, not the manifest's up-to-date shortcut
    second = generate(SPEC, out)
    assert second.models_mode == "full" and second.cache_fallback == first.cache_fallback
    assert sorted(p.name for p in target.iterdir()) == [MODELS_CACHE]
    assert tree_bytes(out) == tree_bytes(reference)
    assert not generate(SPEC, out, check=True).drift


def test_project_caches_unused_for_a_month_are_pruned_once_a_day(tmp_path: Path) -> None:
    import os
    import time

    from asyncgen import cachedir

    root = cachedir.cache_root()
    assert root is not None
    now = time.time()
    old, recent = (cachedir.project_dir(tmp_path / n)[0] for n in ("old", "recent"))
    assert old is not None and recent is not None
    (old / "models-cache.json").write_text("{}")
    month = cachedir.PRUNE_AFTER_DAYS * 86400
    os.utime(old, (now - month - 60, now - month - 60))
    os.utime(recent, (now - month + 3600, now - month + 3600))
    elsewhere = tmp_path / "not-ours"
    elsewhere.mkdir()
    (root / cachedir.PROJECTS / "link").symlink_to(elsewhere)  # never followed, never removed
    os.utime(root / cachedir.PROJECTS / "link", (0, 0), follow_symlinks=False)
    (root / cachedir.PROJECTS / cachedir._PRUNE_MARK).unlink(missing_ok=True)

    assert cachedir.prune(now) == [f"projects/{old.name}"]
    assert not old.exists() and recent.is_dir() and elsewhere.is_dir()
    os.utime(recent, (now - month - 60, now - month - 60))
    assert cachedir.prune(now + 3600) == []  # pruned less than a day ago
    assert cachedir.prune(now + 86400 + 1) == [f"projects/{recent.name}"]


def test_a_run_marks_its_project_cache_as_used(tmp_path: Path) -> None:
    import os

    out = tmp_path / "out"
    generate(SPEC, out, formatter="ruff")
    folder = project_cache(out)
    os.utime(folder, (0, 0))
    assert generate(SPEC, out, formatter="ruff").up_to_date  # the shortcut touches it too
    assert folder.stat().st_mtime > 0
