"""Spec text reaches code only through filters; for any text the result parses and round-trips."""

from __future__ import annotations

import ast
import io
import math
import tokenize
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asyncgen.filters import FILTERS, class_name, comment, docstring, ident, py_literal, to_json

json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
nasty = st.sampled_from(
    ['"""', "'''", "\\", "\r\n", "\x00", "{{ x }}", "\u2028", "\t", '"', "# noqa", "\x0c"]
)
texts = st.text() | st.lists(nasty | st.text(max_size=5), max_size=8).map("".join)


@given(json_values)
def test_py_literal_round_trips(value: Any) -> None:
    source = f"X = {py_literal(value)}\n"
    ast.parse(source)
    assert ast.literal_eval(py_literal(value)) == value


@given(st.tuples(json_scalars) | st.tuples(json_scalars, json_scalars))
def test_py_literal_tuples(value: tuple[Any, ...]) -> None:
    result = ast.literal_eval(py_literal(value))
    assert result == value and isinstance(result, tuple)


any_values = st.recursive(
    json_scalars | st.floats() | st.sampled_from([-0.0, 1e300, 2**70, True]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=4) | st.integers() | st.none(), children, max_size=4)
    ),
    max_leaves=20,
)


@given(any_values)
def test_py_literal_is_the_piece_by_piece_literal(value: Any) -> None:
    """The fast path (``repr`` of plain containers) writes exactly what the builder writes."""
    from asyncgen.filters import _literal

    assert py_literal(value) == _literal(value)
    assert py_literal([value]) == _literal([value]) and py_literal({"k": value}) == _literal({"k": value})


def test_py_literal_leaves_what_repr_writes_otherwise_to_the_builder() -> None:
    import collections
    import enum

    from asyncgen.filters import _repr_is_literal

    class Level(enum.IntEnum):
        LOW = 1

    deep: Any = "x"
    for _ in range(60):
        deep = [deep]
    for value in (
        {"a": float("nan")},
        [float("inf")],
        {"a": Level.LOW},
        [collections.OrderedDict(a=1)],
        {"a": type("S", (str,), {"__repr__": lambda self: "S()"})("x")},
        deep,
    ):
        assert not _repr_is_literal(value)
    assert py_literal({"a": float("nan"), "b": (1,)}) == "{'a': float(\"nan\"), 'b': (1,)}"
    assert py_literal([collections.OrderedDict(a=1)]) == "[{'a': 1}]"
    from asyncgen.filters import _literal

    assert py_literal([Level.LOW]) == _literal([Level.LOW])
    assert py_literal(deep) == "[" * 60 + "'x'" + "]" * 60


def test_py_literal_non_finite_floats() -> None:
    assert py_literal(float("inf")) == 'float("inf")'
    assert py_literal([float("-inf")]) == '[float("-inf")]'
    assert math.isnan(eval(py_literal(float("nan"))))


def test_py_literal_refuses_non_json() -> None:
    with pytest.raises(TypeError, match="not JSON-like"):
        py_literal(object())


@given(texts)
@settings(max_examples=300)
def test_docstring_round_trips(text: str) -> None:
    source = f'"""{docstring(text)}"""'
    ast.parse(f"def f():\n    {source}\n")
    assert ast.literal_eval(source) == text


@given(texts)
@settings(max_examples=300)
def test_comment_is_one_inert_line(text: str) -> None:
    line = f"# {comment(text)}\nX = 1\n"
    tree = ast.parse(line, type_comments=True)
    assert len(tree.body) == 1 and not tree.type_ignores
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(line).readline) if t.type == tokenize.COMMENT]
    assert len(tokens) == 1
    assert "\n" not in comment(text) and "\r" not in comment(text)
    assert all(ch.isprintable() for ch in comment(text))


@pytest.mark.parametrize(
    "text",
    ["noqa", "type: ignore", "fmt: off", "x # noqa: E501", "  FMT: skip", "pragma: no cover", "ruff: noqa"],
)
def test_comment_neutralises_tool_pragmas(text: str) -> None:
    result = comment(text)
    assert "`" in result
    lowered = f"# {result}".lower()
    for pragma in ("# noqa", "# type:", "# fmt:", "# pragma", "# ruff:"):
        assert pragma not in lowered


def test_comment_keeps_ordinary_text() -> None:
    assert comment("Light level\nin lumens\r\n") == "Light level in lumens"
    assert comment("  a\x00b\u2028c  ") == "a\\x00b c"  # escapes only when needed; ends stripped
    assert comment("types: a, b") == "types: a, b"


@given(st.text())
def test_names_are_identifiers(text: str) -> None:
    assert ident(text).isidentifier()
    assert class_name(text).isidentifier()


def test_json_keeps_order_and_unicode() -> None:
    assert to_json({"b": 1, "a": "é"}) == '{"b": 1, "a": "é"}'


def test_filter_set_is_small_and_complete() -> None:
    assert set(FILTERS) == {
        "ident",
        "class_name",
        "snake",
        "pascal",
        "py_literal",
        "docstring",
        "comment",
        "json",
    }


@given(texts)
@settings(max_examples=200)
def test_through_a_real_template(text: str) -> None:
    """The same properties when the filters run inside the render environment."""
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    env.filters.update(FILTERS)
    source = env.from_string('"""{{ x|docstring }}"""\n# {{ x|comment }}\nX = {{ x|py_literal }}\n').render(
        x=text
    )
    tree = ast.parse(source, type_comments=True)
    assert len(tree.body) == 2 and not tree.type_ignores
    assert ast.literal_eval(tree.body[0].value) == text  # type: ignore[attr-defined]
    assert ast.literal_eval(tree.body[1].value) == text  # type: ignore[attr-defined]
