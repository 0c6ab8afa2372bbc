"""--version and --help teach by example; bad usage is exit 2 without a traceback."""

from __future__ import annotations

from click.testing import CliRunner

from asyncgen import __version__
from asyncgen.cli import main


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_help_lists_commands_with_examples() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("validate", "inspect", "generate"):
        assert command in result.output
    assert "Examples:" in result.output


def test_validate_help_has_examples() -> None:
    result = CliRunner().invoke(main, ["validate", "--help"])
    assert result.exit_code == 0
    assert "asyncgen validate asyncapi.yaml" in result.output
    assert "--format" in result.output


def test_bad_map_url_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["validate", "x.yaml", "--map-url", "nonsense"])
    assert result.exit_code == 2
    assert "PREFIX=DIR" in result.output
    assert "Traceback" not in result.output
