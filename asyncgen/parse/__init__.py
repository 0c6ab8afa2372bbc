"""Document -> Api. Version dispatch lives here, and only here; parsers import lazily.

``parse(doc)`` picks the parser from the document's ``asyncapi:``/``openapi:``
version: AsyncAPI 2.0-2.6 -> :mod:`.asyncapi2`, 3.0/3.1 -> :mod:`.asyncapi3`,
OpenAPI 3.0/3.1 -> :mod:`.openapi`. Anything the IR cannot represent becomes a
located warning in ``diagnostics``; unsupported versions raise :class:`SpecError`.
"""

from __future__ import annotations

from asyncgen.document import Document
from asyncgen.errors import Diagnostics, SpecError
from asyncgen.gcpause import without_gc
from asyncgen.model import Api

#: (family, major) -> the newest minor version this package knows
KNOWN = {("asyncapi", "2"): 6, ("asyncapi", "3"): 1, ("openapi", "3"): 1}


@without_gc
def parse(doc: Document, diagnostics: Diagnostics | None = None) -> Api:
    """The IR of a loaded (and validated) document."""
    diagnostics = diagnostics if diagnostics is not None else Diagnostics()
    major = doc.version.split(".", 1)[0]
    where = doc.root.key_loc(doc.family) if doc.family in doc.root else doc.root.loc
    known = KNOWN.get((doc.family, major))
    minor = doc.version.split(".")[1] if doc.version.count(".") >= 1 else ""
    if known is not None and minor.isdigit() and int(minor) > known:
        diagnostics.warn(
            f"{doc.family} {doc.version} is newer than asyncgen knows; read as {doc.family} {major}.{known}",
            where,
        )
    if doc.family == "asyncapi" and major == "2":
        from asyncgen.parse.asyncapi2 import parse as parse_asyncapi2

        return parse_asyncapi2(doc, diagnostics)
    if doc.family == "asyncapi" and major == "3":
        from asyncgen.parse.asyncapi3 import parse as parse_asyncapi3

        return parse_asyncapi3(doc, diagnostics)
    if doc.family == "openapi" and major == "3":
        from asyncgen.parse.openapi import parse as parse_openapi

        return parse_openapi(doc, diagnostics)
    if doc.family == "unknown":
        raise SpecError(
            "not an AsyncAPI or OpenAPI document",
            where,
            hint="the root needs an `asyncapi: 3.0.0` (or 2.x) or `openapi: 3.1.0` (or 3.0.x) field",
        )
    raise SpecError(
        f"{doc.family} {doc.version!r} is not supported",
        where,
        hint="supported: AsyncAPI 2.0-2.6, 3.0, 3.1 and OpenAPI 3.0, 3.1",
    )
