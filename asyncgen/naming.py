"""Spec text -> safe, unique Python names.

Every name the IR hands to templates comes from here:

* :func:`snake` / :func:`pascal` split text into words (punctuation, spaces,
  camelCase and ``HTTPServer``-style boundaries) after transliterating unicode to
  ASCII (NFKD; characters without an ASCII form are dropped). They do *not*
  guarantee an identifier.
* :func:`ident` -> a valid snake_case identifier that is not a Python keyword or
  soft keyword (``match``, ``case``, ``_``, and ``type`` - soft from 3.12 on); those
  get a trailing ``_`` (``class_``, ``type_``). A leading digit gets an ``n``
  prefix (``1st-channel`` -> ``n1st_channel``): not ``_``, because a leading
  underscore means "private" to Python and pydantic. Builtins (``id``, ``list``,
  ``format``) are allowed: they are fine as attribute, parameter and function names
  inside generated modules, and renaming them would surprise users.
* :func:`class_name` -> a valid PascalCase identifier (``N`` prefix for a leading
  digit; ``None``/``True``/``False`` get a trailing ``_``).
* :func:`package_name` -> the default package name: the title's ident, with
  ``_service`` appended when it would shadow a standard-library or dependency
  module (``email``, ``json``, ``pydantic``).
* Empty results (all punctuation, untransliterable text) fall back to ``item`` /
  ``Item`` (or a caller-chosen fallback).
* :class:`Namer` hands out unique names in one scope, in call order (= spec
  order): the second ``1st_channel`` becomes ``n1st_channel_2`` (snake) and a
  second ``Order`` becomes ``Order2`` (Pascal, no underscore, so PEP 8 class
  naming holds). Same key -> same name.
"""

from __future__ import annotations

import keyword
import re
import sys
import unicodedata
from collections.abc import Hashable, Iterable
from functools import lru_cache
from typing import Literal

#: names a generated identifier must never be (keywords and soft keywords, incl. 3.12's ``type``)
RESERVED: frozenset[str] = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | {"type", "_"}

_WORD = re.compile(
    r"""
    [A-Z]+(?=[A-Z][a-z])   # acronym before a capitalised word: HTTP|Server
    | [A-Z]?[a-z]+[0-9]*   # Word, word, word2
    | [A-Z]+[0-9]*         # ACRONYM, V2
    | [0-9]+[a-z]*         # 1st, 2nd, 123
    """,
    re.VERBOSE,
)


def to_ascii(text: str) -> str:
    """Unicode -> ASCII: NFKD decomposition, combining marks and non-ASCII dropped."""
    if text.isascii():  # (NFKD leaves ASCII as it is)
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii")


def words(text: str) -> list[str]:
    """The words of ``text`` (ASCII, original case)."""
    return _WORD.findall(to_ascii(str(text)))


def snake(text: str) -> str:
    """``lightMeasured`` / ``Light Measured`` / ``light-measured`` -> ``light_measured`` (may be empty)."""
    return "_".join(w.lower() for w in words(text))


def _cap(word: str) -> str:
    if len(word) > 1 and word.isupper():
        return word.capitalize()  # HTTP -> Http
    return word[0].upper() + word[1:]


def pascal(text: str) -> str:
    """``light_measured`` / ``lightMeasured`` / ``HTTP server`` -> ``LightMeasured`` / ``HttpServer``."""
    return "".join(_cap(w) for w in words(text))


@lru_cache(maxsize=16384)  # pure; a spec asks for the same text under several namers
def ident(text: str, fallback: str = "item") -> str:
    """A valid, non-keyword snake_case Python identifier for ``text``."""
    name = snake(text) or fallback
    if name[0].isdigit():
        name = "n" + name
    if name in RESERVED:
        name += "_"
    return name


@lru_cache(maxsize=16384)
def class_name(text: str, fallback: str = "Item") -> str:
    """A valid PascalCase class name for ``text``."""
    name = pascal(text) or fallback
    if name[0].isdigit():
        name = "N" + name
    if keyword.iskeyword(name) or name in RESERVED:
        name += "_"
    return name


#: import names a generated package must not shadow (besides the standard library)
THIRD_PARTY_IMPORTS: frozenset[str] = frozenset(
    {
        "faststream", "pydantic", "pydantic_settings", "fastapi", "starlette", "uvicorn", "httpx",
        "websockets", "aiokafka", "aio_pika", "aiormq", "nats", "redis", "aiomqtt", "paho",
        "anyio", "aiosqlite", "asyncpg", "standardwebhooks", "asyncgen", "tests", "test",
        "yaml", "jsonschema", "typing_extensions", "dotenv",
    }
)  # fmt: skip


def package_name(title: str) -> str:
    """A Python package name for an API title that shadows no standard or dependency module.

    ``Streetlights Kafka API`` -> ``streetlights_kafka_api``; ``Email`` -> ``email_service``
    (``email`` is a standard-library package).
    """
    name = ident(title, fallback="api")
    if name in sys.stdlib_module_names or name in THIRD_PARTY_IMPORTS or name.startswith("_"):
        name = f"{name.strip('_')}_service"
    return name


class Namer:
    """Unique names within one scope, decided by call order (spec order), never by hash.

    ``style`` picks :func:`ident` (``"snake"``) or :func:`class_name` (``"pascal"``).
    ``key`` (default: the text) makes repeated requests for the same thing return the
    same name. ``reserved`` names are never handed out.
    """

    def __init__(
        self,
        style: Literal["snake", "pascal"] = "snake",
        *,
        reserved: Iterable[str] = (),
        fallback: str | None = None,
    ) -> None:
        self.style = style
        self.fallback = fallback or ("item" if style == "snake" else "Item")
        self._used: set[str] = set(reserved)
        self._by_key: dict[Hashable, str] = {}

    def _safe(self, text: str) -> str:
        if self.style == "snake":
            return ident(text, self.fallback)
        return class_name(text, self.fallback)

    def _numbered(self, base: str, n: int) -> str:
        return f"{base}_{n}" if self.style == "snake" else f"{base}{n}"

    def is_free(self, name: str) -> bool:
        return name not in self._used

    def reserve(self, name: str) -> None:
        self._used.add(name)

    def get(self, key: Hashable) -> str | None:
        """The name already given to ``key``, if any."""
        return self._by_key.get(key)

    def name(self, text: str, key: Hashable | None = None, *, alternatives: Iterable[str] = ()) -> str:
        """A unique safe name for ``text``.

        The first free of ``text``, then ``alternatives`` (e.g. ``"<Name>Message"``),
        then ``text`` with a counter (``_2``, ``_3`` ... / ``2``, ``3`` ...).
        """
        if key is None:
            key = ("text", text)
        known = self._by_key.get(key)
        if known is not None:
            return known
        first = self._safe(text)
        chosen: str | None = None
        for candidate in (first, *(self._safe(alt) for alt in alternatives)):
            if candidate not in self._used:
                chosen = candidate
                break
        n = 2
        while chosen is None:
            candidate = self._numbered(first, n)
            if candidate not in self._used:
                chosen = candidate
            n += 1
        self._used.add(chosen)
        self._by_key[key] = chosen
        return chosen
