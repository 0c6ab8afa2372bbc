"""Regular expressions in schemas: ones no engine compiles are errors, double escapes warn."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from asyncgen.cli import main
from asyncgen.errors import SpecError
from asyncgen.load import load
from asyncgen.validate import validate
from asyncgen.validate.regex import pattern_problem

SPEC = """\
asyncapi: 3.0.0
info: {{title: Patterns, version: 1.0.0}}
channels:
  c:
    address: c
    messages:
      m:
        payload:
          type: object
          properties:
            code:
              type: string
              pattern: {pattern}
          patternProperties:
            {key}: {{type: string}}
operations:
  o: {{action: receive, channel: {{$ref: '#/channels/c'}}}}
"""


def problems(tmp_path: Path, pattern: str, key: str = "'^x-'") -> list[SpecError]:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC.format(pattern=pattern, key=key), encoding="utf-8")
    return validate(load(path))


@pytest.mark.parametrize(
    "pattern",
    [
        "'^[A-Z]{3}-\\d+$'",
        "'^(?!tmp-).+$'",  # look-ahead: Python's re (dcg sets regex_engine="python-re")
        "'^\\p{L}+$'",  # Unicode classes: pydantic's Rust engine
        '"^a\\\\.b$"',  # double-quoted YAML: one backslash reaches the regex
    ],
)
def test_patterns_an_engine_compiles_are_accepted(tmp_path: Path, pattern: str) -> None:
    assert problems(tmp_path, pattern) == []


def test_a_pattern_no_engine_compiles_is_an_error_at_its_place(tmp_path: Path) -> None:
    (err,) = problems(tmp_path, "'[a-'")
    assert err.severity == "error"
    assert err.message.startswith("schema keyword `pattern` `[a-` is not a valid regular expression: ")
    assert (err.line, err.pointer) == (13, "/channels/c/messages/m/payload/properties/code/pattern")
    assert pattern_problem("[a-") is not None and pattern_problem("^ok$") is None


def test_a_pattern_properties_key_is_checked_too(tmp_path: Path) -> None:
    (err,) = problems(tmp_path, "'^ok$'", key="'(x'")
    assert err.severity == "error" and err.line == 15
    assert err.message.startswith("`patternProperties` key `(x` is not a valid regular expression")


def test_a_double_escaped_backslash_warns_with_the_fix(tmp_path: Path) -> None:
    (warning,) = problems(tmp_path, "'^amq\\\\.gen\\\\-.+$'")  # the corpus rpc specs' mistake
    assert warning.severity == "warning"
    assert "`^amq\\\\.gen\\\\-.+$` contains `\\\\.`" in warning.message
    assert warning.hint is not None and "('\\.')" in warning.hint


def test_cli_refuses_to_generate_an_uncompilable_pattern(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC.format(pattern="'[a-'", key="'^x-'"), encoding="utf-8")
    result = CliRunner().invoke(main, ["generate", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "spec.yaml:13:" in result.output and "not a valid regular expression" in result.output
    assert not (tmp_path / "out").exists()
