"""Formatting a big generated module again by its changed top-level definitions only (ruff).

A one-channel change re-renders the generated test module (1.7 MB on 1,000 channels) and
``models.py``, and ruff formatted both again whole: most of the ``format`` stage, for a
file of which one function changed. ruff formats a module statement by statement; between
two top-level definitions it always writes two blank lines. So a module cut before each
top-level ``def``/``async def``/``class``/decorator that follows exactly two blank lines
formats, piece by piece, to the same text as whole, the pieces joined by two blank lines -
*unless* something ties the pieces together. What can, and is refused (whole-file
formatting instead):

* ``fmt:``/``yapf:`` directives anywhere (they switch formatting off across statements);
* a comment at column 0 after the first cut (ruff moves such comments between statements);
* a cut inside a string or brackets: the piece before it does not parse on its own, ruff
  fails on it, and the file is formatted whole;
* stub files (``.pyi``: other blank-line rules), fewer than :data:`MIN_CHUNKS` pieces.

And the property is never taken on trust for a module: the first time a file is formatted
again in an incremental run, it is formatted whole **and** piece by piece, and the pieces
are recorded only when their join is byte-identical to the whole (else the file is marked
refused, and always formatted whole). Later runs format only the pieces whose text is new
and take the others from the formatted file on disk (which must hash to what the record
was made from). The record (``format-chunks.json`` in the project's private cache folder,
next to ``format-cache.json``) holds, per file, the sha256 of the formatted file and of
each piece's text with the length of its formatted text; it is keyed by the engine and the
formatter's version and options, and anything that does not fit is ignored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from asyncgen.errors import GenerationError
from asyncgen.output import sha256

CHUNKS_VERSION = 1
#: fewer pieces than this: formatted whole (nothing to gain)
MIN_CHUNKS = 4
#: what a piece starts with (after exactly two blank lines): a top-level definition or decorator
_STARTS = ("@", "def ", "async def ", "class ")
#: formatter directives that can span statements (fmt: off/on, yapf: disable/enable)
_TIES = ("fmt:", "yapf:")
_JOIN = "\n\n"  # each formatted piece ends with one newline: two blank lines between them

Format = Callable[[Mapping[PurePosixPath, str]], dict[PurePosixPath, str]]


def split(text: str, path: PurePosixPath) -> list[str] | None:
    """``text`` cut before its top-level definitions (see the module docstring), or None."""
    if path.suffix != ".py" or any(tie in text for tie in _TIES):
        return None
    # cuts: after exactly two blank lines, before a top-level definition (plain string
    # searches: a regex tried at every position of 2 MB cost ~20 ms)
    cuts: list[int] = []
    at = text.find("\n\n\n", 1)
    while at >= 0:
        if text[at - 1] != "\n" and text.startswith(_STARTS, at + 3):
            cuts.append(at + 3)
        at = text.find("\n\n\n", at + 1)
    if len(cuts) + 1 < MIN_CHUNKS or text.find("\n#", cuts[0] - 1) >= 0:
        return None  # too few pieces, or a comment at column 0 after the first cut
    bounds = [0, *cuts, len(text)]
    return [text[bounds[i] : bounds[i + 1]] for i in range(len(bounds) - 1)]


def _pieces(formatted: str, lengths: list[int]) -> list[str] | None:
    """The formatted pieces of a file recorded with these lengths (None: it does not fit)."""
    pieces: list[str] = []
    at = 0
    for index, length in enumerate(lengths):
        if index:
            if formatted[at : at + len(_JOIN)] != _JOIN:
                return None
            at += len(_JOIN)
        piece = formatted[at : at + length]
        if len(piece) != length or not piece.endswith("\n"):
            return None
        pieces.append(piece)
        at += length
    return pieces if at == len(formatted) else None


def _joined(pieces: list[str]) -> str | None:
    if any(not p.endswith("\n") or p == "\n" for p in pieces):
        return None
    return _JOIN.join(pieces)


def read_records(path: Path, key: Mapping[str, Any]) -> dict[str, Any]:
    """The last run's records (``{}``: none, damaged, or another engine or formatter)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("key") != dict(key) or not isinstance(data.get("files"), dict):
        return {}
    out: dict[str, Any] = {}
    for name, record in data["files"].items():
        if record == "refused":
            out[name] = record
        elif (
            isinstance(record, dict)
            and isinstance(record.get("formatted"), str)
            and isinstance(record.get("chunks"), list)
            and all(_chunk_entry(c) for c in record["chunks"])
        ):
            out[name] = record
    return out


def _chunk_entry(entry: Any) -> bool:
    return (
        isinstance(entry, list)
        and len(entry) == 2
        and isinstance(entry[0], str)
        and type(entry[1]) is int
        and entry[1] > 0
    )


def records_bytes(key: Mapping[str, Any], records: Mapping[str, Any]) -> bytes:
    data = {"version": CHUNKS_VERSION, "key": dict(key), "files": dict(sorted(records.items()))}
    # compact: json's C encoder (indent= takes the pure-Python one: ~5 ms on 1,000 channels)
    return (json.dumps(data, separators=(",", ":")) + "\n").encode("utf-8")


def cache_key(engine: str, formatter: str) -> dict[str, Any]:
    return {"version": CHUNKS_VERSION, "engine": engine, "formatter": formatter}


def format_by_chunks(
    texts: Mapping[PurePosixPath, str],
    records: Mapping[str, Any],
    out: Path,
    format_files: Format,
) -> tuple[dict[PurePosixPath, str], dict[str, Any], list[str]]:
    """``format_files(texts)``, formatting only the new pieces of files with a record.

    ``texts``: the rendered (newline-normalised) files to format; ``records``: the last
    run's (:func:`read_records`). Returns the formatted texts, the records for ``texts``
    (to keep) and the paths whose unchanged pieces came from disk.
    """
    whole: dict[PurePosixPath, str] = {}  # formatted as one file (all of them, or to verify)
    splice: dict[PurePosixPath, tuple[list[str], dict[str, str]]] = {}  # piece shas, known formatted pieces
    verify: dict[PurePosixPath, list[str]] = {}  # piece shas
    needed: dict[str, str] = {}  # piece sha -> piece text, formatted on its own
    kept: dict[str, Any] = {}
    for path, text in texts.items():
        record = records.get(str(path))
        if record == "refused":
            kept[str(path)] = record  # its pieces did not join to the whole once: never again
        pieces = split(text, path) if record != "refused" else None
        if pieces is None:
            whole[path] = text
            continue
        known = _known(out / path, record) if isinstance(record, dict) else None
        digests = [sha256(piece.encode("utf-8")) for piece in pieces]
        if known is None:
            whole[path] = text
            verify[path] = digests
        else:
            splice[path] = (digests, known)
        for digest, piece in zip(digests, pieces, strict=True):
            if known is None or digest not in known:
                needed[digest] = piece
    if not splice and not verify:
        return format_files(whole), kept, []
    names = {digest: PurePosixPath(f"piece{index}.py") for index, digest in enumerate(needed)}
    try:
        batch = {**whole, **{names[d]: piece for d, piece in needed.items()}}
        result = format_files(batch) if batch else {}
    except GenerationError:
        # a piece that does not parse alone (a cut inside a string...): all of it whole; a
        # file that is not valid Python fails again here, with its own name in the message
        return format_files(texts), {**kept, **{str(p): "refused" for p in [*verify, *splice]}}, []
    formatted = {path: result[path] for path in whole}
    made = {digest: result[name] for digest, name in names.items()}
    new_records: dict[str, Any] = dict(kept)
    spliced: list[str] = []
    for path, digests in verify.items():
        joined = _joined([made[d] for d in digests])
        if joined is not None and joined == formatted[path]:
            new_records[str(path)] = _record(joined, digests, [made[d] for d in digests])
        else:
            new_records[str(path)] = "refused"
    for path, (digests, known) in splice.items():
        parts = [known[d] if d in known else made[d] for d in digests]
        joined = _joined(parts)
        if joined is None:  # cannot be: every piece ended in a newline before; format it whole
            formatted.update(format_files({path: texts[path]}))
            new_records[str(path)] = "refused"
            continue
        formatted[path] = joined
        new_records[str(path)] = _record(joined, digests, parts)
        spliced.append(str(path))
    return formatted, new_records, sorted(spliced)


def _record(formatted: str, digests: list[str], pieces: list[str]) -> dict[str, Any]:
    return {
        "formatted": sha256(formatted.encode("utf-8")),
        "chunks": [[d, len(p)] for d, p in zip(digests, pieces, strict=True)],
    }


def _known(path: Path, record: Mapping[str, Any]) -> dict[str, str] | None:
    """piece sha -> its formatted text, from the file on disk the record was made from."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if sha256(data) != record["formatted"]:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    pieces = _pieces(text, [length for _, length in record["chunks"]])
    if pieces is None:
        return None
    return {digest: piece for (digest, _), piece in zip(record["chunks"], pieces, strict=True)}
