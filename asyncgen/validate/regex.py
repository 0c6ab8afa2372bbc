"""Regular expressions in schemas (``pattern``, ``patternProperties`` keys).

The generated models hand them to pydantic, which compiles them when ``models.py`` is
imported: with its Rust engine, or with Python's ``re`` for patterns that need it
(datamodel-code-generator picks ``regex_engine="python-re"`` for look-arounds). A
pattern that neither engine can compile would make the generated project fail on
import, so it is an error here, at its place in the spec.

One common mistake gets a warning: ``'^amq\\\\.gen$'`` in a single-quoted (or plain)
YAML string keeps both backslashes, so the regex matches a literal backslash followed
by any character instead of a literal dot.
"""

from __future__ import annotations

import re
from functools import lru_cache

from asyncgen.errors import Location
from asyncgen.validate.walker import Ctx

#: an escaped backslash followed by what was most likely meant to be escaped
_DOUBLE_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)+[.\-+*?()\[\]{}|^$/dDwWsSbB]")


@lru_cache(maxsize=4096)
def pattern_problem(pattern: str) -> str | None:
    """Why no engine pydantic may use compiles ``pattern``; ``None`` when one does."""
    try:
        re.compile(pattern)
        return None
    except re.error as err:
        python_error = str(err)
    except (OverflowError, RecursionError) as err:
        python_error = str(err) or type(err).__name__
    from pydantic_core import SchemaError, SchemaValidator, core_schema

    try:  # pydantic's default engine (Rust `regex`): e.g. \p{L}, which Python's re lacks
        SchemaValidator(core_schema.str_schema(pattern=pattern))
        return None
    except SchemaError:
        return python_error


def check_pattern(ctx: Ctx, pattern: str, where: Location, what: str, *, node: object = None) -> None:
    """Report ``pattern`` (the value of ``what``) if it cannot compile, or looks double-escaped."""
    problem = pattern_problem(pattern)
    if problem is not None:
        ctx.error(
            f"{what} `{pattern}` is not a valid regular expression: {problem}",
            where,
            "fix the expression (JSON Schema patterns are ECMA-262 regular expressions)",
            node=node,
        )
        return
    match = _DOUBLE_ESCAPE.search(pattern)
    if match is not None:
        meant = "\\" + match.group()[-1]
        ctx.warn(
            f"{what} `{pattern}` contains `{match.group()}`: an escaped backslash, so it matches a "
            f"literal backslash where `{meant}` was probably meant",
            where,
            f"if you meant `{meant}`, write one backslash in a single-quoted or plain YAML string "
            f"('{meant}'), two in a double-quoted YAML or JSON string (\"\\{meant}\")",
        )
