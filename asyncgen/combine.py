"""Several spec documents, one service: an AsyncAPI document plus OpenAPI companions.

``asyncgen generate events.asyncapi.yaml api.openapi.yaml -o OUT`` parses each file
on its own (each is validated by its own family's rules), then :func:`combine` puts
the OpenAPI documents' HTTP operations, callbacks and webhooks into the AsyncAPI
document's :class:`~asyncgen.model.Api`. The AsyncAPI document stays the primary
one (title, package, servers, channels), whatever the order on the command line.

Schemas with the same name in both documents must be the same schema (typically
both refer to one shared file, as the bundled ERP example does); otherwise
generation stops with an error naming both places, as two model classes cannot
share one name.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from asyncgen.errors import SpecError
from asyncgen.model import Api, SchemaDef


def _shape(schema: SchemaDef) -> str:
    return json.dumps({"schema": schema.schema, "format": schema.source_format}, sort_keys=True, default=str)


def primary_first(apis: Sequence[Api]) -> list[Api]:
    """The AsyncAPI document first (at most one), then the OpenAPI ones in the given order."""
    asyncapis = [a for a in apis if a.family == "asyncapi"]
    if len(asyncapis) > 1:
        raise SpecError(
            f"{len(asyncapis)} AsyncAPI documents given ({', '.join(a.source for a in asyncapis)}); "
            "a service is generated from one AsyncAPI document and any number of OpenAPI companions",
            _where(asyncapis[1]),
        )
    return asyncapis + [a for a in apis if a.family != "asyncapi"]


def _where(api: Api) -> Any:
    from asyncgen.errors import Location

    return Location(api.source or "<memory>")


def combine(apis: Sequence[Api]) -> Api:
    """One Api: the primary document plus every companion's HTTP side (see the module docstring)."""
    ordered = primary_first(apis)
    primary, companions = ordered[0], ordered[1:]
    schemas = {s.name: s for s in primary.schemas}
    http_operations = list(primary.http_operations)
    webhooks = list(primary.webhooks)
    security = {s.key: s for s in primary.security_schemes}
    sources = list(primary.source_files)
    for other in companions:
        for schema in other.schemas:
            mine = schemas.get(schema.name)
            if mine is None:
                schemas[schema.name] = schema
            elif _shape(mine) != _shape(schema):
                raise SpecError(
                    f"schema {schema.name!r} differs between {primary.source} ({mine.location}) and "
                    f"{other.source}; both would become model class {schema.name!r}",
                    schema.location,
                    hint="refer to one shared schema file from both documents, or rename one of them",
                )
        taken = {op.ident for op in http_operations}
        for op in other.http_operations:
            if op.ident in taken:
                raise SpecError(
                    f"HTTP operation {op.key!r} is defined twice (also in an earlier document)",
                    op.location,
                )
            taken.add(op.ident)
            http_operations.append(op)
        webhooks.extend(other.webhooks)
        for scheme in other.security_schemes:
            security.setdefault(scheme.key, scheme)
        sources.extend(f for f in other.source_files if f not in sources)
    return replace(
        primary,
        schemas=tuple(schemas.values()),
        http_operations=tuple(http_operations),
        webhooks=tuple(webhooks),
        security_schemes=tuple(security.values()),
        source_files=tuple(sources),
    )
