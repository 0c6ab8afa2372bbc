"""Jinja filters: the only way spec text reaches generated code.

* ``ident`` / ``class_name`` / ``snake`` / ``pascal`` - names (``asyncgen.naming``).
* ``py_literal`` - a Python literal for any JSON-like value (``repr`` based; tuples
  stay tuples; non-finite floats become ``float("inf")`` / ``float("nan")``).
* ``docstring`` - text safe between ``\"\"\"`` and ``\"\"\"``: ``ast.literal_eval`` of
  the quoted result gives back the text exactly.
* ``comment`` - one line safe after ``# ``: no line breaks or control characters, and
  no tool pragmas (``noqa``, ``type:``, ``fmt:`` ...) that would change what linters,
  type checkers or formatters do with the generated file.
* ``json`` - JSON text in spec order (for data files and docs, not for Python code).
"""

from __future__ import annotations

import json as _json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from asyncgen import naming

#: comment pragmas that linters, type checkers and formatters act on (noqa, type:, fmt: ...)
_PRAGMA = re.compile(
    r"(^|#)(\s*)(type\s*:|fmt\s*:|isort\s*:|pragma\b|pyright\s*:|mypy\s*:|ruff\s*:|pylint\s*:|yapf\s*:|noqa)",
    re.IGNORECASE,
)


def ident(text: Any) -> str:
    return naming.ident(str(text))


def class_name(text: Any) -> str:
    return naming.class_name(str(text))


def snake(text: Any) -> str:
    return naming.snake(str(text))


def pascal(text: Any) -> str:
    return naming.pascal(str(text))


#: types whose ``repr`` is :func:`py_literal`'s text, nested in dicts, lists and tuples as well
_REPR_SAME = frozenset((str, int, bool, type(None)))


def _repr_is_literal(value: Any, depth: int = 0) -> bool:
    """Whether ``repr(value)`` is exactly :func:`py_literal` of it: exact ``dict``/``list``/
    ``tuple`` containers of exact ``str``/``int``/``bool``/``None`` and finite floats (their
    ``repr`` is the one :func:`py_literal` builds piece by piece), not too deep."""
    kind = type(value)
    if kind in _REPR_SAME:
        return True
    if kind is float:
        return math.isfinite(value)
    if depth > 50:
        return False
    if kind is dict:
        return all(
            _repr_is_literal(k, depth + 1) and _repr_is_literal(v, depth + 1) for k, v in value.items()
        )
    if kind is list or kind is tuple:
        return all(_repr_is_literal(v, depth + 1) for v in value)
    return False


def py_literal(value: Any) -> str:
    """A Python expression that evaluates to ``value`` (JSON-like data, tuples allowed)."""
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if type(value) in (dict, list) and _repr_is_literal(value):
        return repr(value)  # the same text as _literal's, built in C (the tests' examples: ~10 ms)
    return _literal(value)


def _literal(value: Any) -> str:
    """:func:`py_literal`, built piece by piece."""
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return 'float("nan")'
        if math.isinf(value):
            return 'float("inf")' if value > 0 else 'float("-inf")'
        return repr(value)
    if isinstance(value, Mapping):
        items = ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        if len(value) == 1:
            return "(" + _literal(value[0]) + ",)"
        return "(" + ", ".join(_literal(v) for v in value) + ")"
    raise TypeError(f"py_literal: {type(value).__name__} is not JSON-like data: {value!r}")


def _escape_char(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def docstring(text: Any) -> str:
    """The inside of a triple-double-quoted string whose value is exactly ``text``.

    Backslashes and every ``"`` are escaped (so no ``\"\"\"`` and no quote next to the
    closing quotes), tabs and other non-printable characters (``\\r``, form feed,
    NUL, U+2028 ...) become escapes; only ``\\n`` stays a real line break.
    """
    value = str(text)
    if "\\" not in value and '"' not in value and value.replace("\n", "").isprintable():
        result = value  # nothing to escape (the common case: ~6,000 calls on 1,000 channels)
    else:
        out: list[str] = []
        for char in value:
            if char == "\\":
                out.append("\\\\")
            elif char == '"':
                out.append('\\"')
            elif char == "\n" or (char.isprintable() and char != "\t"):
                out.append(char)
            else:
                out.append(_escape_char(char))
        result = "".join(out)
    # Trailing spaces on a line are stripped by black/ruff: keep them as escapes. A final
    # quote makes black (not ruff) pad the closing quotes with a space: use \x22 there.
    if " \n" in result or result.endswith(" "):
        result = re.sub(r" +(?=\n|$)", lambda m: "\\x20" * len(m.group(0)), result)
    if result.endswith('\\"'):
        result = result[:-2] + "\\x22"
    return result


def comment(text: Any) -> str:
    """``text`` as one line fit to follow ``# `` (line breaks become spaces)."""
    one_line = " ".join(str(text).splitlines())
    if one_line.isprintable():
        safe = one_line.strip()  # nothing to escape: the usual case
    else:
        safe = "".join(ch if ch.isprintable() else _escape_char(ch) for ch in one_line).strip()
    return _PRAGMA.sub(lambda m: f"{m.group(1)}{m.group(2)}`{m.group(3)}`", safe)


def to_json(value: Any, indent: int | None = None) -> str:
    """JSON text, keys in spec order, non-ASCII kept as is."""
    return _json.dumps(value, ensure_ascii=False, indent=indent, allow_nan=False)


FILTERS: dict[str, Callable[..., Any]] = {
    "ident": ident,
    "class_name": class_name,
    "snake": snake,
    "pascal": pascal,
    "py_literal": py_literal,
    "docstring": docstring,
    "comment": comment,
    "json": to_json,
}
