"""Fixtures of the real-broker integration tests (marker ``integration``).

Brokers come from ``.ci/brokers.sh start`` (ports: ``BROKER_*_PORT``). A broker that is not
reachable skips its tests with the reason, except under ``CI=true``, where it fails them.

``IT_FAKE_SERVICE=1`` runs the same tests against a hand-written FastStream app
(``fakeapp/fakesvc``) instead of generated projects: it checks the harness itself before
``asyncgen generate`` exists, or when a generated project fails and the harness is suspect.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from it_harness import (
    HERE,
    SPECS,
    Project,
    env_prefix_of,
    generate,
    generator_available,
    install_probe,
    skip_or_fail,
)

FAKE = os.environ.get("IT_FAKE_SERVICE") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Project]:
    """``projects(spec_file_name)``: the project generated from specs/<name>, once per session."""
    cache: dict[str, Project] = {}
    checked: list[str] = []

    def get(spec_name: str) -> Project:
        if spec_name in cache:
            return cache[spec_name]
        spec = SPECS / spec_name
        out = tmp_path_factory.mktemp(spec_name.split(".", maxsplit=1)[0])
        if FAKE:
            shutil.copytree(HERE / "fakeapp" / "fakesvc", out / "fakesvc")
            (out / "fakesvc" / "spec.txt").write_text(spec_name, encoding="utf-8")
            install_probe(out, "fakesvc")
            project = Project(spec, out, "fakesvc", env_prefix_of(out, "fakesvc"))
        else:
            if not checked:
                checked.append(generator_available()[1])
            if checked[0]:
                skip_or_fail(checked[0])
            project = generate(spec, out)
        cache[spec_name] = project
        return project

    return get
