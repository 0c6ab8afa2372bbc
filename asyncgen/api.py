"""The public functions re-exported by ``asyncgen`` (lazy wrappers over the stages)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from asyncgen.document import Document, LoadOptions
    from asyncgen.errors import Diagnostics, SpecError
    from asyncgen.model import Api


def load(path: str | Path, options: LoadOptions | None = None) -> Document:
    """Read a spec (and every file it refers to) into a ref-resolved Document."""
    from asyncgen.document import LoadOptions
    from asyncgen.load import load as _load

    return _load(path, options or LoadOptions())


def validate(doc: Document) -> list[SpecError]:
    """Every problem of the document at once (errors and warnings), sorted by location."""
    from asyncgen.validate import validate as _validate

    return _validate(doc)


def parse(doc: Document, diagnostics: Diagnostics | None = None) -> Api:
    """The IR of a (valid) document."""
    from asyncgen.parse import parse as _parse

    return _parse(doc, diagnostics)
