"""The exceptions a user can see.

One root, :class:`AsyncgenError`, carries the process exit code and knows how to
show itself (like click's ``ClickException``). Bad input is always a
:class:`SpecError` with a location; several at once travel in :class:`SpecErrors`.
Never ``raise Exception`` and never ``assert`` for validation.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

EXIT_OK = 0
EXIT_DRIFT = 1  # --check drift, breaking changes
EXIT_BAD_INPUT = 2


@dataclass(frozen=True, order=True)
class Location:
    """Where something is: a file, 1-based line and column, and a JSON pointer.

    ``line``/``column`` are 0 when unknown (e.g. data built in memory).
    Ordering is by file, line, column, pointer, so sorted errors read top-down.
    """

    file: str
    line: int = 0
    column: int = 0
    pointer: str = ""

    def __init__(self, file: str, line: int = 0, column: int = 0, pointer: str = "") -> None:
        # the generated frozen __init__ calls object.__setattr__ per field: twice as slow, and
        # loading and validating a large spec make tens of thousands of these
        fields = self.__dict__
        fields["file"], fields["line"], fields["column"], fields["pointer"] = file, line, column, pointer

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}"
        return self.file

    def child(self, *parts: str | int) -> Location:
        """The location of a descendant, keeping file/line/column (pointer only)."""
        return Location(self.file, self.line, self.column, join_pointer(self.pointer, *parts))


def escape_pointer_part(part: str | int) -> str:
    text = str(part)
    if "~" in text or "/" in text:
        return text.replace("~", "~0").replace("/", "~1")
    return text  # (most keys: no new string)


def join_pointer(base: str, *parts: str | int) -> str:
    return base + "".join("/" + escape_pointer_part(p) for p in parts)


class AsyncgenError(Exception):
    """Root of every error asyncgen reports to a user."""

    exit_code: int = EXIT_BAD_INPUT

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def format(self) -> str:
        return f"error: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"message": self.message}

    def show(self, file: IO[str] | None = None) -> None:
        print(self.format(), file=file or sys.stderr)


class SpecError(AsyncgenError):
    """A problem in a spec file, located as precisely as we can."""

    def __init__(
        self,
        message: str,
        location: Location | None = None,
        *,
        hint: str | None = None,
        severity: str = "error",
    ) -> None:
        super().__init__(message)
        self.location = location or Location("<unknown>")
        self.hint = hint
        self.severity = severity

    @property
    def file(self) -> str:
        return self.location.file

    @property
    def line(self) -> int:
        return self.location.line

    @property
    def column(self) -> int:
        return self.location.column

    @property
    def pointer(self) -> str:
        return self.location.pointer

    def sort_key(self) -> tuple[Location, str]:
        return (self.location, self.message)

    def format(self) -> str:
        where = f" (at {self.pointer})" if self.pointer else ""
        text = f"{self.location}: {self.severity}: {self.message}{where}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "pointer": self.pointer,
            "hint": self.hint,
        }

    def __repr__(self) -> str:
        return f"SpecError({self.format()!r})"


class SpecErrors(AsyncgenError):
    """Several located problems, reported together, sorted by location."""

    def __init__(self, errors: Iterable[SpecError]) -> None:
        self.errors: list[SpecError] = sorted(errors, key=SpecError.sort_key)
        first = self.errors[0].message if self.errors else "no errors"
        super().__init__(f"{len(self.errors)} problem(s); first: {first}")

    def format(self) -> str:
        return "\n".join(e.format() for e in self.errors)

    def to_json(self) -> dict[str, Any]:
        return {"errors": [e.to_json() for e in self.errors]}


class GenerationError(AsyncgenError):
    """The spec is valid but cannot be generated faithfully (names element and alternatives)."""


class TemplateError(AsyncgenError):
    """A template failed: syntax error or undefined variable; names template file, line, element."""


class OutputConflict(AsyncgenError):
    """Writing would overwrite a file a person edited (use --force), or other unsafe writes."""


class DriftError(AsyncgenError):
    """`--check` found differences between disk and a fresh generation."""

    exit_code = EXIT_DRIFT


@dataclass
class Diagnostics:
    """Warnings collected while working; ``--fail-on-warning`` turns them into failure."""

    warnings: list[SpecError] = field(default_factory=list)

    def warn(self, message: str, location: Location | None = None, hint: str | None = None) -> None:
        self.warnings.append(SpecError(message, location, hint=hint, severity="warning"))


def dump_json(errors: Sequence[AsyncgenError]) -> str:
    return json.dumps([e.to_json() for e in errors], indent=2, sort_keys=True)
