"""Servers: matched by key, then by (protocol, host) (a rename).

A server or a protocol gone, or a protocol changed: the flows through it stop ->
breaking both ways (see :mod:`asyncgen.diff.contract`). A host changed: info (it is
deployment configuration, overridden per environment). Security alternatives and
bindings as for operations.
"""

from __future__ import annotations

from typing import Any

from asyncgen.diff.changes import Change, binding_changes, join, security_changes
from asyncgen.diff.matching import match
from asyncgen.model import Api, Server

BOTH = {"backward": True, "forward": True}


def server_changes(old_api: Api, new_api: Api) -> list[Change]:
    changes: list[Change] = []

    def add(kind: str, path: str, detail: str, old: Any = None, new: Any = None, **flags: Any) -> None:
        changes.append(Change(kind, path, detail, old, new, **flags))

    pairs, removed, added = match(
        old_api.servers, new_api.servers, lambda s: s.key, lambda s: (s.protocol, _where(s))
    )
    for old, new, renamed in pairs:
        path = join("servers", new.key)
        changes.extend(security_changes(old.security, new.security, join(path, "security")))
        changes.extend(binding_changes(old.bindings, new.bindings, path))
        if renamed:
            add("server-renamed", path, f"server renamed {old.key} -> {new.key}", old.key, new.key, **BOTH)
        if old.protocol != new.protocol:
            add(
                "protocol-changed",
                path,
                f"protocol {old.protocol} -> {new.protocol}",
                old.protocol,
                new.protocol,
                **BOTH,
            )
        if _where(old) != _where(new):
            add(
                "server-url-changed",
                path,
                f"host {_where(old)} -> {_where(new)}",
                _where(old),
                _where(new),
            )
        if old.protocol_version != new.protocol_version:
            add(
                "protocol-version-changed",
                path,
                f"protocol version {old.protocol_version} -> {new.protocol_version}",
                old.protocol_version,
                new.protocol_version,
            )
    for server in removed:
        add(
            "server-removed",
            join("servers", server.key),
            f"server {server.key} ({server.protocol}) removed",
            _server_json(server),
            None,
            **BOTH,
        )
    for server in added:
        add(
            "server-added",
            join("servers", server.key),
            f"server {server.key} ({server.protocol}) added",
            None,
            _server_json(server),
        )
    old_protocols = set(old_api.protocols)
    for protocol in sorted(old_protocols - set(new_api.protocols)):
        add(
            "protocol-removed",
            join("servers"),
            f"no server speaks {protocol} any more",
            protocol,
            None,
            **BOTH,
        )
    return changes


def _where(server: Server) -> str:
    """Host and path, without the protocol (3.x ``url`` is derived from the protocol)."""
    if server.host:
        return server.host + (server.pathname or "")
    return server.url


def _server_json(server: Server) -> dict[str, Any]:
    return {"protocol": server.protocol, "host": _where(server)}
