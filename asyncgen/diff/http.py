"""OpenAPI changes: paths, methods, parameters, bodies, responses, callbacks, webhooks.

The reader/writer rule of :mod:`asyncgen.diff.contract` applied to HTTP: a
request is written by the client and read by the server (the described app), a
response written by the server and read by the client; callbacks and webhooks the
other way round. So:

* a **required** parameter or request body added: OLD clients do not send it, the
  NEW server requires it -> BACKWARD-breaking; a required one removed (or made
  optional): NEW clients may leave it out, the OLD server requires it ->
  FORWARD-breaking; optional ones added or removed -> info;
* a request **content type** removed: OLD clients still send it -> BACKWARD; added
  -> FORWARD (the OLD server rejects it);
* a **response status** removed: the OLD server still returns it and NEW clients do
  not handle it -> BACKWARD; added: OLD clients do not expect it -> FORWARD (unless
  the OLD operation had a ``default`` response);
* a **path/method** removed or moved: breaking both ways; added: info;
* **security**: requirements are alternatives (any of); one removed (or security
  introduced): clients on OLD may use it, the NEW server refuses -> BACKWARD; one
  added (or security dropped): NEW clients may use it, the OLD server refuses ->
  FORWARD;
* request/response/parameter schemas go through the schema core.

Routes match by method and path template with parameter names ignored
(``/orders/{id}`` = ``/orders/{orderId}``), then by operation key (the route moved).
An ``operationId`` changed on the same route is a rename: the wire is the same, the
generated names are not -> breaking both ways, as for AsyncAPI operations.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from asyncgen.diff.changes import (
    APP_CALLS,
    APP_IS_ANSWERED,
    APP_IS_CALLED,
    APP_RESPONDS,
    Change,
    join,
    security_changes,
)
from asyncgen.diff.schema import compare
from asyncgen.model import HttpBody, HttpOperation, HttpParameter, HttpResponse

if TYPE_CHECKING:
    from asyncgen.diff.contract import ContractDiff


BOTH = {"backward": True, "forward": True}


def side_of(path: str) -> str:
    """Who reads the data a change is about, from its path: requests to the app and
    responses to its callbacks/webhooks are read by the app; its responses and its
    callback/webhook requests by the other side. Whole operations: no side."""
    parts = path.split("/")
    if parts[0] == "paths" and len(parts) > 3 and parts[3] == "callbacks":
        served, side = False, parts[7] if len(parts) > 7 else ""
    elif parts[0] == "paths":
        served, side = True, parts[3] if len(parts) > 3 else ""
    elif parts[0] == "webhooks":
        served, side = False, parts[4] if len(parts) > 4 else ""
    else:
        return ""
    if side in ("parameters", "requestBody", "security"):
        return APP_IS_CALLED if served else APP_CALLS
    if side == "responses":
        return APP_RESPONDS if served else APP_IS_ANSWERED
    return ""


def route(op: HttpOperation) -> tuple[str, str]:
    return op.method.lower(), re.sub(r"\{[^}]*\}", "{}", op.path)


class HttpDiff:
    def __init__(self, parent: ContractDiff) -> None:
        self.parent = parent
        self.changes: list[Change] = []

    def add(self, kind: str, path: str, detail: str, old: Any = None, new: Any = None, **flags: Any) -> None:
        self.changes.append(Change(kind, path, detail, old, new, **flags))

    def run(self) -> list[Change]:
        self.operations(self.parent.old.http_operations, self.parent.new.http_operations, "paths")
        self.webhooks()
        return [replace(c, affects=c.affects or side_of(c.path)) for c in self.changes]

    def operations(self, old: Sequence[HttpOperation], new: Sequence[HttpOperation], base: str) -> None:
        new_by_route = {route(n): n for n in new}
        used: set[int] = set()
        leftover: list[HttpOperation] = []
        for o in old:
            n = new_by_route.get(route(o))
            if n is not None and id(n) not in used:
                used.add(id(n))
                path = join(base, n.path, n.method)
                if o.key != n.key and o.path == n.path:  # same path text: not a derived key moving
                    self.add(
                        "operation-renamed", path, f"operationId {o.key} -> {n.key}", o.key, n.key, **BOTH
                    )
                self.operation(o, n, path)
            else:
                leftover.append(o)
        new_by_key = {n.key: n for n in new if id(n) not in used}
        for o in leftover:
            n = new_by_key.get(o.key)
            if n is not None and id(n) not in used:
                used.add(id(n))
                path = join(base, n.path, n.method)
                self.add(
                    "http-route-changed",
                    path,
                    f"{o.method.upper()} {o.path} moved to {n.method.upper()} {n.path}",
                    f"{o.method.upper()} {o.path}",
                    f"{n.method.upper()} {n.path}",
                    **BOTH,
                )
                self.operation(o, n, path)
                continue
            self.add(
                "http-operation-removed",
                join(base, o.path, o.method),
                f"{o.method.upper()} {o.path} removed",
                f"{o.method.upper()} {o.path}",
                None,
                **BOTH,
            )
        for n in new:
            if id(n) not in used:
                self.add(
                    "http-operation-added",
                    join(base, n.path, n.method),
                    f"{n.method.upper()} {n.path} added",
                    None,
                    f"{n.method.upper()} {n.path}",
                )

    def operation(self, old: HttpOperation, new: HttpOperation, path: str) -> None:
        self.parameters(old.parameters, new.parameters, join(path, "parameters"))
        self.request_body(old.request_body, new.request_body, join(path, "requestBody"))
        self.responses(old.responses, new.responses, join(path, "responses"))
        self.changes.extend(security_changes(old.security, new.security, join(path, "security")))
        old_cb = {c.name: c for c in old.callbacks}
        new_cb = {c.name: c for c in new.callbacks}
        for name, cb in old_cb.items():
            where = join(path, "callbacks", name)
            if name not in new_cb:
                self.add("callback-removed", where, f"callback {name} removed", cb.expression, None, **BOTH)
                continue
            if cb.expression != new_cb[name].expression:
                self.add(
                    "callback-url-changed",
                    where,
                    f"callback url {cb.expression} -> {new_cb[name].expression}",
                    cb.expression,
                    new_cb[name].expression,
                    **BOTH,
                )
            self.operations(cb.operations, new_cb[name].operations, where)
        for name, cb in new_cb.items():
            if name not in old_cb:
                self.add(
                    "callback-added",
                    join(path, "callbacks", name),
                    f"callback {name} added",
                    None,
                    cb.expression,
                )

    def parameters(self, old: Sequence[HttpParameter], new: Sequence[HttpParameter], path: str) -> None:
        def pkey(p: HttpParameter) -> tuple[str, str]:
            return p.location, p.name.lower() if p.location == "header" else p.name

        old_path = [p for p in old if p.location == "path"]
        new_path = [p for p in new if p.location == "path"]
        old_by = {pkey(p): p for p in old if p.location != "path"}
        new_by = {pkey(p): p for p in new if p.location != "path"}
        # path parameters are positional: their names never reach the wire
        pairs = list(zip(old_path, new_path, strict=False))
        pairs += [(o, new_by[k]) for k, o in old_by.items() if k in new_by]
        for o, n in pairs:
            where = join(path, n.location, n.name)
            if n.required and not o.required:
                self.add(
                    "parameter-required-added",
                    where,
                    f"{n.location} parameter {n.name} is now required",
                    False,
                    True,
                    backward=True,
                )
            elif o.required and not n.required:
                self.add(
                    "parameter-required-removed",
                    where,
                    f"{n.location} parameter {n.name} is no longer required",
                    True,
                    False,
                    forward=True,
                )
            found = compare(o.schema or True, n.schema or True, options=self.parent.options)
            self.changes.extend(c.under(join(where, "schema")) for c in found)
        for k, o in old_by.items():
            if k not in new_by:
                self.add(
                    "parameter-removed",
                    join(path, o.location, o.name),
                    f"{'required' if o.required else 'optional'} {o.location} parameter {o.name} removed",
                    o.name,
                    None,
                    forward=o.required,
                )
        for k, n in new_by.items():
            if k not in old_by:
                self.add(
                    "parameter-added",
                    join(path, n.location, n.name),
                    f"{'required' if n.required else 'optional'} {n.location} parameter {n.name} added",
                    None,
                    n.name,
                    backward=n.required,
                )

    def request_body(self, old: HttpBody | None, new: HttpBody | None, path: str) -> None:
        if old is None or new is None:
            if new is not None:
                required = "required" if new.required else "optional"
                self.add(
                    "request-body-added",
                    path,
                    f"{required} request body added",
                    None,
                    new.content_type,
                    backward=new.required,
                )
            elif old is not None:
                self.add(
                    "request-body-removed",
                    path,
                    "request body removed",
                    old.content_type,
                    None,
                    forward=old.required,
                )
            return
        if new.required and not old.required:
            self.add(
                "request-body-required-added",
                path,
                "request body is now required",
                False,
                True,
                backward=True,
            )
        elif old.required and not new.required:
            self.add(
                "request-body-required-removed",
                path,
                "request body is no longer required",
                True,
                False,
                forward=True,
            )
        self.bodies((old,), (new,), join(path, "content"))

    def bodies(self, old: Sequence[HttpBody], new: Sequence[HttpBody], path: str) -> None:
        old_by = {b.content_type: b for b in old}
        new_by = {b.content_type: b for b in new}
        for ct, body in old_by.items():
            if ct in new_by:
                self.changes.extend(
                    self.parent.schema_changes(body.schema, new_by[ct].schema, join(path, ct, "schema"))
                )
            else:
                self.add(
                    "content-type-removed",
                    join(path, ct),
                    f"content type {ct} removed",
                    ct,
                    None,
                    backward=True,
                )
        for ct in new_by:
            if ct not in old_by:
                self.add(
                    "content-type-added", join(path, ct), f"content type {ct} added", None, ct, forward=True
                )

    def responses(self, old: Sequence[HttpResponse], new: Sequence[HttpResponse], path: str) -> None:
        old_by = {r.status: r for r in old}
        new_by = {r.status: r for r in new}
        for status, resp in old_by.items():
            if status in new_by:
                self.bodies(resp.bodies, new_by[status].bodies, join(path, status, "content"))
            else:
                covered = "default" in new_by
                self.add(
                    "response-removed",
                    join(path, status),
                    f"response {status} removed",
                    status,
                    None,
                    backward=not covered,
                )
        for status in new_by:
            if status not in old_by:
                covered = "default" in old_by
                self.add(
                    "response-added",
                    join(path, status),
                    f"response {status} added",
                    None,
                    status,
                    forward=not covered,
                )

    def webhooks(self) -> None:
        old_by = {w.name: w for w in self.parent.old.webhooks}
        new_by = {w.name: w for w in self.parent.new.webhooks}
        for name, hook in old_by.items():
            where = join("webhooks", name)
            if name in new_by:
                self.operations(hook.operations, new_by[name].operations, where)
            else:
                self.add("webhook-removed", where, f"webhook {name} removed", name, None, **BOTH)
        for name in new_by:
            if name not in old_by:
                self.add("webhook-added", join("webhooks", name), f"webhook {name} added", None, name)
