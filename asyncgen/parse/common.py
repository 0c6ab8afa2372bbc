"""What AsyncAPI 2.x, 3.x and OpenAPI parsing share: the parse context, traits,
messages, servers, security, tags and the Api header fields.

Traits (AsyncAPI 2.x and 3.x alike) are applied with JSON Merge Patch semantics
in the order listed, and the object's own fields are applied last, so they win.
An object without traits is returned as is (identity kept, so a message shared by
two channels stays one :class:`~asyncgen.model.Message`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from asyncgen.document import Document, MapNode
from asyncgen.errors import Diagnostics, Location
from asyncgen.model import (
    NOWHERE,
    CorrelationId,
    Message,
    MessageExample,
    SchemaDef,
    SecurityScheme,
    ServerVariable,
)
from asyncgen.naming import Namer, package_name
from asyncgen.parse.dialect import Converter, plain
from asyncgen.parse.schema_graph import SchemaGraph, ref_name

MAX_MERGE_DEPTH = 64


def loc(node: Any, fallback: Location = NOWHERE) -> Location:
    found = getattr(node, "loc", None)
    return found if isinstance(found, Location) else fallback


def text(node: Any, key: str) -> str | None:
    # (``type() is MapNode`` first: the ABC check of Mapping is slow, and this runs per field)
    if type(node) is MapNode or isinstance(node, Mapping):
        value = node.get(key)
        if isinstance(value, str):
            return value
    return None


def scalar_str(value: Any) -> str:
    """A parameter/enum value as text (``true``, not ``True``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def mapping(node: Any, key: str) -> Mapping[str, Any]:
    value = node.get(key) if type(node) is MapNode or isinstance(node, Mapping) else None
    return value if type(value) is MapNode or isinstance(value, Mapping) else {}


def seq(node: Any, key: str) -> list[Any]:
    value = node.get(key) if type(node) is MapNode or isinstance(node, Mapping) else None
    return list(value) if isinstance(value, list) else []


def tag_names(node: Any) -> tuple[str, ...]:
    names = []
    for tag in seq(node, "tags"):
        name = tag.get("name") if isinstance(tag, Mapping) else tag
        if isinstance(name, str):
            names.append(name)
    return tuple(names)


def extensions(node: Any) -> dict[str, Any]:
    if type(node) is not MapNode and not isinstance(node, Mapping):
        return {}
    return {k: plain(v) for k, v in node.items() if isinstance(k, str) and k.startswith("x-")}


def merge_patch(target: Any, patch: Any, depth: int = 0) -> Any:
    """RFC 7396 merge of ``patch`` onto ``target`` without mutating either."""
    if not isinstance(patch, Mapping):
        return patch
    if not isinstance(target, Mapping) or depth > MAX_MERGE_DEPTH:
        target = {}
    out = MapNode(loc=loc(patch, loc(target)))
    for key, value in target.items():
        out[key] = value
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping) and out[key] is not value:
            out[key] = merge_patch(out[key], value, depth + 1)
        else:
            out[key] = value
    return out


def apply_traits(node: Any) -> Any:
    """``node`` with its ``traits`` merged in (traits in order, then the node's own fields)."""
    if type(node) is not MapNode and not isinstance(node, Mapping):
        return node
    traits = node.get("traits")
    if not isinstance(traits, list) or not traits:
        return node
    merged: Any = MapNode(loc=loc(node))
    for trait in traits:
        if isinstance(trait, list):  # 2.x allowed [trait, {overrides}] in some drafts
            for part in trait:
                merged = merge_patch(merged, part)
        else:
            merged = merge_patch(merged, trait)
    own = MapNode({k: v for k, v in node.items() if k != "traits"}, loc=loc(node))
    merged = merge_patch(merged, own)
    merged.pop("traits", None)
    merged.ref = getattr(node, "ref", None)
    return merged


def split_multiformat(value: Any) -> tuple[Any, str | None]:
    """3.x Multi Format Schema ``{schemaFormat, schema}`` (3.1: ``schemaFormat`` optional) -> parts."""
    if (type(value) is MapNode or isinstance(value, Mapping)) and "schema" in value:
        fmt = value.get("schemaFormat")
        if isinstance(fmt, str) or set(value) <= {"schema", "schemaFormat"} or not _looks_like_schema(value):
            return value.get("schema"), fmt if isinstance(fmt, str) else None
    return value, None


def _looks_like_schema(value: Mapping[str, Any]) -> bool:
    return any(k in value for k in ("type", "properties", "allOf", "oneOf", "anyOf", "items", "enum", "$ref"))


PLACEHOLDER = re.compile(r"{([^{}]+)}")


def parameter_names(
    address: str | None, declared: Mapping[str, Any], where: Location, diagnostics: Diagnostics
) -> list[str]:
    """Parameter names in address order, then declared-but-unused ones (spec order)."""
    names = list(dict.fromkeys(PLACEHOLDER.findall(address or "")))
    for name in names:
        if name not in declared:
            diagnostics.warn(
                f"channel parameter {{{name}}} is used in the address but not declared; treated as a string",
                where,
            )
    return names + [str(n) for n in declared if str(n) not in names]


def correlation_id(node: Any) -> CorrelationId | None:
    if not isinstance(node, Mapping):
        return None
    where = node.get("location")
    if not isinstance(where, str):
        return None
    return CorrelationId(location_expr=where, description=text(node, "description"))


def examples(node: Any) -> tuple[MessageExample, ...]:
    found = []
    for item in seq(node, "examples"):
        if not isinstance(item, Mapping):
            continue
        headers = item.get("headers")
        found.append(
            MessageExample(
                name=text(item, "name"),
                summary=text(item, "summary"),
                payload=plain(item.get("payload")),
                headers=plain(headers) if isinstance(headers, Mapping) else None,
                has_payload="payload" in item,
            )
        )
    return tuple(found)


def server_variables(node: Any) -> tuple[ServerVariable, ...]:
    out = []
    for name, var in mapping(node, "variables").items():
        if not isinstance(var, Mapping):
            continue
        default = var.get("default")
        out.append(
            ServerVariable(
                name=str(name),
                default=None if default is None else scalar_str(default),
                enum=tuple(scalar_str(v) for v in seq(var, "enum")),
                description=text(var, "description"),
                examples=tuple(scalar_str(v) for v in seq(var, "examples")),
            )
        )
    return tuple(out)


def requirement_names(value: Any) -> tuple[str, ...]:
    """Scheme names of a 2.x/OpenAPI security list (``[{name: scopes}, ...]``), in order."""
    names: list[str] = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, Mapping):
            names.extend(str(k) for k in item)
    return tuple(dict.fromkeys(names))


def security_schemes(root: Any) -> tuple[SecurityScheme, ...]:
    out = []
    for key, node in mapping(mapping(root, "components"), "securitySchemes").items():
        if not isinstance(node, Mapping):
            continue
        details = {k: plain(v) for k, v in node.items() if k not in ("type", "description")}
        out.append(SecurityScheme(str(key), str(node.get("type", "")), text(node, "description"), details))
    return tuple(out)


@dataclass
class Prepared:
    """A message found in pass 1 (before schemas are finalized)."""

    original: Any  # as found
    node: Any  # traits applied
    key: str
    ident: str
    memo: tuple[int, str]
    payload: Any
    payload_format: str | None
    headers: Any
    headers_format: str | None
    message: Message | None = None
    class_name: str = ""  # given by Context.finalize, after the schemas' names


@dataclass
class Context:
    """Per-parse state: namers (spec order), the schema graph and message memo."""

    doc: Document
    diagnostics: Diagnostics
    default_dialect: str = "jsonschema"
    class_names: Namer = field(default_factory=lambda: Namer("pascal"))
    message_idents: Namer = field(default_factory=lambda: Namer("snake"))
    schemas: SchemaGraph = field(init=False)
    _keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    _prepared: dict[tuple[int, str], Prepared] = field(default_factory=dict)
    _components: dict[tuple[str, int], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        components = mapping(self.doc.root, "components")
        schemas: dict[str, Any] = {}
        for key, node in mapping(components, "schemas").items():
            inner, _ = split_multiformat(node)
            schemas[str(key)] = inner if isinstance(inner, dict) else node
        self.schemas = SchemaGraph(
            self.class_names, self.diagnostics, components=schemas, default_dialect=self.default_dialect
        )
        for section, members in components.items():
            if isinstance(members, Mapping):
                for key, node in members.items():
                    self._components.setdefault((str(section), id(node)), str(key))

    @property
    def root(self) -> MapNode:
        return self.doc.root

    def component_key(self, section: str, node: Any) -> str | None:
        return self._components.get((section, id(node)))

    def unique_key(self, namespace: str, key: str, node: Any) -> str:
        """``key`` unless another node of ``namespace`` already has it (then ``key_2``...)."""
        used = self._keys.setdefault(namespace, {})
        ident_of = node if isinstance(node, tuple) else id(node)
        candidate, n = key, 2
        while used.get(candidate, ident_of) != ident_of:
            candidate = f"{key}_{n}"
            n += 1
        used[candidate] = ident_of
        return candidate

    def prepare_message(
        self,
        node: Any,
        key: str,
        split: Callable[[Any, Any], tuple[Any, str | None, Any, str | None]],
    ) -> Prepared:
        """Pass 1 for one message: key, names, schema roots registered.

        Memoised by (node, key): the same message object under the same key is one
        Message; under two keys (3.x channels ``turnOn``/``turnOff`` -> one
        component) it is two Messages sharing their SchemaDefs.
        """
        memo = (id(node), key)
        known = self._prepared.get(memo)
        if known is not None:
            return known
        merged = apply_traits(node)
        unique = self.unique_key("message", key, memo)
        payload, payload_format, headers, headers_format = split(node, merged)
        if payload is not None:
            self.schemas.add_root(
                payload, f"{unique} payload", schema_format=payload_format, location=loc(payload)
            )
        if headers is not None:
            hint = self._trait_hint(node, "headers", headers) or f"{unique} headers"
            self.schemas.add_root(headers, hint, schema_format=headers_format, location=loc(headers))
        prepared = Prepared(
            original=node,
            node=merged,
            key=unique,
            ident=self.message_idents.name(unique, key=memo),
            memo=memo,
            payload=payload,
            payload_format=payload_format,
            headers=headers,
            headers_format=headers_format,
        )
        self._prepared[memo] = prepared
        return prepared

    def _trait_hint(self, node: Any, field_name: str, value: Any) -> str | None:
        """Name a schema that comes unchanged from a component trait after the trait."""
        for trait in seq(node, "traits"):
            if isinstance(trait, Mapping) and trait.get(field_name) is value:
                comp = self.component_key("messageTraits", trait)
                if comp:
                    return comp if field_name in comp.lower() else f"{comp} {field_name}"
        return None

    def finalize(self) -> None:
        """End of pass 1: schema defs and their names first, then message class names.

        Payload models are what users type, so a schema keeps its natural name
        (``CustomerChanged``) and a message with the same name becomes
        ``CustomerChangedMessage``.
        """
        self.schemas.finalize()
        for prepared in self._prepared.values():
            prepared.class_name = self.class_names.name(
                prepared.key, key=("message", prepared.memo), alternatives=(f"{prepared.key} message",)
            )

    def message(self, prepared: Prepared) -> Message:
        """Pass 2: the Message (after ``schemas.finalize()``)."""
        if prepared.message is not None:
            return prepared.message
        node = prepared.node
        default_ct = text(self.root, "defaultContentType") or "application/json"
        payload: SchemaDef | None = self.schemas.get(prepared.payload)
        event = node.get("x-event-type")
        prepared.message = Message(
            key=prepared.key,
            ident=prepared.ident,
            class_name=prepared.class_name,
            name=text(node, "name"),
            title=text(node, "title"),
            summary=text(node, "summary"),
            description=text(node, "description"),
            content_type=text(node, "contentType") or default_ct,
            schema_format=prepared.payload_format,
            payload=payload,
            headers=self.schemas.get(prepared.headers),
            correlation_id=correlation_id(node.get("correlationId")),
            examples=examples(node),
            bindings=plain(mapping(node, "bindings")),
            tags=tag_names(node),
            event_type=event if isinstance(event, str) else text(node, "name") or prepared.key,
            location=loc(node),
            extensions=extensions(node),
        )
        return prepared.message

    def inline_schema(self, node: Any, dialect: str | None = None) -> dict[str, Any]:
        """A fully inlined JSON Schema (parameters): no defs, cycles cut."""
        converter = Converter(def_names={}, diagnostics=self.diagnostics)
        out = converter.inline(node, dialect or self.default_dialect)
        if isinstance(out, dict):
            return out
        return {} if out is not False else {"not": {}}

    def security_names(self, requirements: Any) -> tuple[str, ...]:
        """Scheme names of a security list: 2.x/OpenAPI ``{name: scopes}`` maps, 3.x scheme objects."""
        names: list[str] = []
        if not isinstance(requirements, list):
            return ()
        for index, item in enumerate(requirements):
            if not isinstance(item, Mapping):
                continue
            comp = self.component_key("securitySchemes", item)
            if comp is not None:
                names.append(comp)
            elif "type" in item:  # an inline 3.x scheme object
                ref = getattr(item, "ref", None)
                names.append((ref_name(ref) if isinstance(ref, str) else None) or f"scheme{index}")
            else:
                names.extend(str(k) for k in item)
        return tuple(dict.fromkeys(names))


def api_header(doc: Document) -> dict[str, Any]:
    """Api fields every family fills the same way."""
    info = mapping(doc.root, "info")
    title = text(info, "title") or doc.path.stem or "api"
    return {
        "spec_version": doc.version,
        "title": title,
        "version": scalar_str(info.get("version", "")),
        "package": package_name(title),
        "description": text(info, "description"),
        "source": doc.display_path,
        "source_files": tuple(_display(doc, p) for p in doc.files) or (doc.display_path,),
        "tags": tag_names(doc.root),
        "security_schemes": security_schemes(doc.root),
        "extensions": extensions(doc.root),
    }


def _display(doc: Document, path: Path) -> str:
    """A read file's display path: relative to the root spec's display folder."""
    if path == doc.path:
        return doc.display_path
    try:
        rel = os.path.relpath(path, doc.path.parent)
    except ValueError:
        return str(path)
    joined = os.path.join(os.path.dirname(doc.display_path), rel)
    return PurePosixPath(os.path.normpath(joined)).as_posix()
