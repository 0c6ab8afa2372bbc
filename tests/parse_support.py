"""Test helpers for the parser tests: inline specs -> Documents -> Api."""

from __future__ import annotations

from typing import Any

from asyncgen.document import Document
from asyncgen.errors import Diagnostics
from asyncgen.load import load_data
from asyncgen.model import Api
from asyncgen.parse import parse


def make_doc(data: dict[str, Any], file: str = "spec.yaml") -> Document:
    return load_data(data, file)


def parse_data(data: dict[str, Any], diagnostics: Diagnostics | None = None) -> Api:
    return parse(make_doc(data), diagnostics)
