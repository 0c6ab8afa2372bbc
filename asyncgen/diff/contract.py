"""Contract changes between two IRs: servers, channels, operations, messages.

Direction convention
====================
A compatibility mode is a statement about pairs of (writer version, reader
version), exactly as in a schema registry:

* ``BACKWARD``: writer = OLD, reader = NEW ("consumers upgraded to NEW can read
  what is produced with OLD"; the safe rollout is readers first);
* ``FORWARD``: writer = NEW, reader = OLD ("consumers still on OLD can read what
  is produced with NEW"; the safe rollout is writers first).

Who the writer is comes from the operation's ``action`` (always the described
application's own point of view in the IR):

* a message the app **sends**: the app writes, its consumers read. BACKWARD asks
  "can consumers upgraded to NEW read what the app on OLD still sends?",
  FORWARD "can consumers still on OLD read what the app on NEW sends?" - the
  app can be deployed *before* its consumers only if the change is FORWARD
  compatible;
* a message the app **receives**: its producers write, the app reads. BACKWARD
  asks "can the app on NEW read what producers still on OLD send?", FORWARD
  "can the app still on OLD read what producers on NEW send?" - the app can be
  deployed *before* its producers only if the change is BACKWARD compatible.

A payload schema that narrows is therefore BACKWARD-breaking and one that widens
FORWARD-breaking whatever the action: the action does not change the
classification (it never does in a registry, where a subject's mode ignores who
produces), it says who is hurt, and each message-level change carries that in
``affects``.

The same reader/writer rule decides the contract-level changes:

* **a message removed** from a channel, operation or reply: an OLD writer still
  sends it, a NEW reader cannot handle it -> BACKWARD-breaking (like a ``oneOf``
  variant removed); **a message added**: a NEW writer sends it to an OLD reader
  that does not know it -> FORWARD-breaking;
* **a channel, operation, server or reply removed**, an **address**, **protocol**
  or **action** changed: an existing flow stops. OLD writers publish where NEW
  readers no longer listen (BACKWARD), and OLD readers still subscribed wait where
  NEW writers no longer publish (FORWARD): breaking both ways. (A registry has no
  notion of a subject going away; we count a whole flow going silent as breaking
  for the readers still on it, while one message type of a flow that goes on
  becoming rare is not.)
* **a channel, operation, server or reply added**: nobody on OLD reads or writes
  it, so no existing reader breaks; a new flow may be half-connected during a
  rollout -> info;
* **renamed** (different key, same address / channel and messages): the wire
  is unchanged but every generated name and every ``$ref`` by id changes ->
  reported as a rename, breaking both ways;
* a channel **parameter**'s schema is compared like a payload schema (enum value
  removed -> BACKWARD, added -> FORWARD); a parameter added or removed changes the
  address, which is what is reported as breaking;
* a channel no longer available on a server it was on -> both ways; a **server's
  host** changed -> info (deployment configuration, overridden per environment);
* **content type**, **schema format** (JSON <-> Avro <-> Protobuf) or the
  **correlation id** location changed -> both ways; a correlation id declared or
  dropped -> info (whether the field is there is the schema's business);
* **security** requirements are alternatives: one removed (or security introduced)
  -> BACKWARD, one added (or security dropped) -> FORWARD.

``affects`` names the side that reads the data: "app sends: its consumers read",
"app receives: the app reads" (the reply of a ``receive`` is sent by the app).
That is where the action does decide something: the **rollout order**
(:func:`~asyncgen.diff.changes.app_first_safe`). Deploying the app before its peers
puts NEW writers before OLD readers where the app sends (the FORWARD question) and a
NEW reader after OLD writers where it receives (the BACKWARD question); deploying the
peers first asks the opposite questions. The report says which order is safe.

Matching: channels by key, then by address (rename); operations by key, then by
(action, channel, messages) (rename), then by (channel, messages) (an action
flip: in 2.x the derived key changes with it); messages by key, then ``name``,
then payload (rename); payload/header schemas of matched messages through the
schema core with each Api's ``schemas`` as ``$defs``. Messages of a reply whose
channel is a listed channel are compared once, under ``channels/``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from asyncgen.diff.changes import (
    APP_RECEIVES,
    APP_SENDS,
    APP_SENDS_AND_RECEIVES,
    Change,
    binding_changes,
    join,
    security_changes,
)
from asyncgen.diff.http import HttpDiff
from asyncgen.diff.keywords import canonical
from asyncgen.diff.matching import match
from asyncgen.diff.schema import SchemaOptions, compare
from asyncgen.diff.servers import server_changes
from asyncgen.model import Api, Channel, Message, Operation, Parameter, Reply, SchemaDef
from asyncgen.schemaformats import kind_of

BOTH = {"backward": True, "forward": True}


class ContractDiff:
    """One comparison of two Apis; collects :attr:`changes`."""

    def __init__(self, old: Api, new: Api, options: SchemaOptions | None = None) -> None:
        self.old = old
        self.new = new
        self.options = options or SchemaOptions()
        self.changes: list[Change] = []
        self.old_defs = {d.name: d.schema for d in old.schemas}
        self.new_defs = {d.name: d.schema for d in new.schemas}
        #: old channel key -> new channel key, filled by :meth:`channels`
        self.channel_map: dict[str, str] = {}
        #: id(api) -> channel key -> actions on it (see :meth:`affects`)
        self._actions: dict[int, dict[str, set[str]]] = {}

    def add(self, kind: str, path: str, detail: str, old: Any = None, new: Any = None, **flags: Any) -> None:
        self.changes.append(Change(kind, path, detail, old, new, **flags))

    def run(self) -> list[Change]:
        self.servers()
        self.channels()
        self.operations()
        self.changes.extend(HttpDiff(self).run())
        return self.changes

    # -- schemas -------------------------------------------------------------------

    def schema_changes(
        self, old: SchemaDef | None, new: SchemaDef | None, path: str, affects: str = ""
    ) -> list[Change]:
        """Payload/header/body schema changes (a missing schema accepts anything)."""
        if old is not None and new is not None and kind_of(old.schema_format) != kind_of(new.schema_format):
            detail = (
                f"schema format {old.schema_format or 'json schema'} -> {new.schema_format or 'json schema'}"
            )
            change = Change(
                "schema-format-changed",
                path,
                detail,
                old.schema_format,
                new.schema_format,
                backward=True,
                forward=True,
                affects=affects,
            )
            return [change]
        binary = {"avro", "protobuf"}
        formats = {kind_of(d.schema_format) for d in (old, new) if d is not None}
        options = replace(self.options, open_records=True) if formats and formats <= binary else self.options
        found = compare(
            old.schema if old is not None else True,
            new.schema if new is not None else True,
            old_defs=self.old_defs,
            new_defs=self.new_defs,
            options=options,
        )
        return [replace(change.under(path), affects=affects) for change in found]

    # -- servers -------------------------------------------------------------------

    def servers(self) -> None:
        self.changes.extend(server_changes(self.old, self.new))

    # -- channels ------------------------------------------------------------------

    def channels(self) -> None:
        pairs, removed, added = match(
            self.old.channels, self.new.channels, lambda c: c.key, lambda c: c.address
        )
        for old, new, renamed in pairs:
            self.channel_map[old.key] = new.key
            path = join("channels", new.key)
            if renamed:
                self.add(
                    "channel-renamed",
                    path,
                    f"channel renamed {old.key} -> {new.key} (same address {new.address})",
                    old.key,
                    new.key,
                    **BOTH,
                )
            self.channel(old, new, path)
        for channel in removed:
            self.add(
                "channel-removed",
                join("channels", channel.key),
                f"channel {channel.key} ({channel.address}) removed",
                channel.address,
                None,
                affects=self.affects(self.old, channel.key),
                **BOTH,
            )
        for channel in added:
            self.add(
                "channel-added",
                join("channels", channel.key),
                f"channel {channel.key} ({channel.address}) added",
                None,
                channel.address,
            )

    def channel(self, old: Channel, new: Channel, path: str) -> None:
        affects = self.affects(self.new, new.key) or self.affects(self.old, old.key)
        address_changed = old.address != new.address
        if address_changed:
            self.add(
                "address-changed",
                path,
                f"address {old.address} -> {new.address}",
                old.address,
                new.address,
                affects=affects,
                **BOTH,
            )
        self.parameters(
            old.parameters, new.parameters, path, address_changed=address_changed, affects=affects
        )
        old_servers = set(old.servers or (s.key for s in self.old.servers))
        new_servers = set(new.servers or (s.key for s in self.new.servers))
        lost = sorted(old_servers - new_servers)
        if lost and new.servers:
            self.add(
                "channel-servers-removed",
                join(path, "servers"),
                f"channel no longer available on server(s) {', '.join(lost)}",
                sorted(old_servers),
                sorted(new_servers),
                **BOTH,
            )
        self.changes.extend(binding_changes(old.bindings, new.bindings, path))
        self.messages(old.messages, new.messages, join(path, "messages"), affects)

    def parameters(
        self,
        old: Sequence[Parameter],
        new: Sequence[Parameter],
        path: str,
        *,
        address_changed: bool,
        affects: str,
    ) -> None:
        flags = {} if address_changed else BOTH  # an address change already says it
        pairs, removed, added = match(old, new, lambda p: p.name)
        for o, n, _ in pairs:
            found = compare(_param_schema(o), _param_schema(n), options=self.options)
            where = join(path, "parameters", n.name)
            self.changes.extend(replace(c.under(where), affects=affects) for c in found)
        for p in removed:
            self.add(
                "parameter-removed",
                join(path, "parameters", p.name),
                f"parameter {p.name} removed",
                p.name,
                None,
                **flags,
            )
        for p in added:
            self.add(
                "parameter-added",
                join(path, "parameters", p.name),
                f"parameter {p.name} added",
                None,
                p.name,
                **flags,
            )

    def messages(self, old: Sequence[Message], new: Sequence[Message], path: str, affects: str) -> None:
        pairs, removed, added = match(old, new, lambda m: m.key, lambda m: m.name, _message_identity)
        for o, n, renamed in pairs:
            where = join(path, n.key)
            if renamed:
                self.add(
                    "message-renamed", where, f"message renamed {o.key} -> {n.key}", o.key, n.key, **BOTH
                )
            self.message(o, n, where, affects)
        for m in removed:
            self.add(
                "message-removed",
                join(path, m.key),
                f"message {m.key} removed (old writers still send it)",
                m.key,
                None,
                affects=affects,
                backward=True,
            )
        for m in added:
            self.add(
                "message-added",
                join(path, m.key),
                f"message {m.key} added (old readers do not know it)",
                None,
                m.key,
                affects=affects,
                forward=True,
            )

    def message(self, old: Message, new: Message, path: str, affects: str) -> None:
        if old.content_type != new.content_type:
            self.add(
                "content-type-changed",
                path,
                f"content type {old.content_type} -> {new.content_type}",
                old.content_type,
                new.content_type,
                affects=affects,
                **BOTH,
            )
        old_cid = old.correlation_id.location_expr if old.correlation_id else None
        new_cid = new.correlation_id.location_expr if new.correlation_id else None
        if old_cid != new_cid:
            # moved: readers look where writers no longer put it. Declared or dropped: whether
            # the field is there is the header/payload schema's business (compared below).
            breaking = BOTH if old_cid and new_cid else {}
            self.add(
                "correlation-id-changed",
                join(path, "correlationId"),
                f"correlation id {old_cid} -> {new_cid}",
                old_cid,
                new_cid,
                affects=affects,
                **breaking,
            )
        self.changes.extend(self.schema_changes(old.payload, new.payload, join(path, "payload"), affects))
        self.changes.extend(binding_changes(old.bindings, new.bindings, path))
        if old.headers is not None or new.headers is not None:
            self.changes.extend(self.schema_changes(old.headers, new.headers, join(path, "headers"), affects))

    # -- operations ----------------------------------------------------------------

    def operations(self) -> None:
        pairs, removed, added = match(
            self.old.operations,
            self.new.operations,
            lambda o: o.key,
            self._operation_identity,
            self._operation_flow,  # 2.x keys derive from the action: a flip looks like a rename
        )
        for old, new, renamed in pairs:
            path = join("operations", new.key)
            if renamed:
                self.add(
                    "operation-renamed",
                    path,
                    f"operation renamed {old.key} -> {new.key}",
                    old.key,
                    new.key,
                    **BOTH,
                )
            self.operation(old, new, path)
        for op in removed:
            self.add(
                "operation-removed",
                join("operations", op.key),
                f"{op.action} operation {op.key} on {op.channel.address} removed",
                op.key,
                None,
                affects=_affects_for({op.action}),
                **BOTH,
            )
        for op in added:
            self.add(
                "operation-added",
                join("operations", op.key),
                f"{op.action} operation {op.key} on {op.channel.address} added",
                None,
                op.key,
            )

    def _operation_identity(self, op: Operation) -> Any:
        channel = self.channel_map.get(op.channel.key, op.channel.key)
        return (op.action, channel, tuple(sorted(m.key for m in op.messages)))

    def _operation_flow(self, op: Operation) -> Any:
        return self._operation_identity(op)[1:]

    def operation(self, old: Operation, new: Operation, path: str) -> None:
        affects = _affects_for({new.action})
        if old.action != new.action:
            self.add(
                "action-changed",
                join(path, "action"),
                f"action {old.action} -> {new.action}",
                old.action,
                new.action,
                **BOTH,
            )
        if self.channel_map.get(old.channel.key, old.channel.key) != new.channel.key:
            self.add(
                "operation-channel-changed",
                join(path, "channel"),
                f"channel {old.channel.key} ({old.channel.address}) -> "
                f"{new.channel.key} ({new.channel.address})",
                old.channel.key,
                new.channel.key,
                affects=affects,
                **BOTH,
            )
        else:
            # membership only: the messages themselves are compared under their channel
            on_channel = {m.key for m in new.channel.messages}
            old_keys = [m.key for m in old.messages]
            new_keys = [m.key for m in new.messages]
            for key in old_keys:
                if key not in new_keys and key in on_channel:
                    self.add(
                        "operation-message-removed",
                        join(path, "messages", key),
                        f"operation no longer {_verb(new.action)} message {key}",
                        key,
                        None,
                        affects=affects,
                        backward=True,
                    )
            for key in new_keys:
                if key not in old_keys and key in {m.key for m in old.channel.messages}:
                    self.add(
                        "operation-message-added",
                        join(path, "messages", key),
                        f"operation now {_verb(new.action)} message {key}",
                        None,
                        key,
                        affects=affects,
                        forward=True,
                    )
        self.changes.extend(security_changes(old.security, new.security, join(path, "security"), affects))
        self.changes.extend(binding_changes(old.bindings, new.bindings, path))
        self.reply(old.reply, new.reply, join(path, "reply"), new.action)

    def reply(self, old: Reply | None, new: Reply | None, path: str, action: str) -> None:
        # the reply flows the other way: for a send operation the app reads the reply
        affects = _affects_for({"receive" if action == "send" else "send"})
        if old is None and new is None:
            return
        if new is None:
            self.add(
                "reply-removed", path, "reply removed", _reply_target(old), None, affects=affects, **BOTH
            )
            return
        if old is None:
            self.add("reply-added", path, "reply added", None, _reply_target(new), affects=affects)
            return
        if _reply_target(old) != _reply_target(new):
            self.add(
                "reply-address-changed",
                path,
                f"reply address {_reply_target(old)} -> {_reply_target(new)}",
                _reply_target(old),
                _reply_target(new),
                affects=affects,
                **BOTH,
            )
        old_ch, new_ch = old.channel, new.channel
        listed = (
            old_ch is not None
            and new_ch is not None
            and any(c is old_ch or c.key == old_ch.key for c in self.old.channels)
            and any(c is new_ch or c.key == new_ch.key for c in self.new.channels)
        )
        if not listed:  # a reply-only channel: its messages are compared here
            self.messages(old.messages, new.messages, join(path, "messages"), affects)
            return
        # the messages themselves are compared under channels/; here only which ones reply
        old_keys = [m.key for m in old.messages]
        new_keys = [m.key for m in new.messages]
        for key in old_keys:
            if key not in new_keys:
                self.add(
                    "reply-message-removed",
                    join(path, "messages", key),
                    f"reply message {key} removed",
                    key,
                    None,
                    affects=affects,
                    backward=True,
                )
        for key in new_keys:
            if key not in old_keys:
                self.add(
                    "reply-message-added",
                    join(path, "messages", key),
                    f"reply message {key} added",
                    None,
                    key,
                    affects=affects,
                    forward=True,
                )

    # -- who is hurt ----------------------------------------------------------------

    def affects(self, api: Api, channel_key: str) -> str:
        """Who reads what flows on the channel, from the operations that use it (replies
        flow the other way: the reply of a ``receive`` is sent by the app)."""
        table = self._actions.get(id(api))
        if table is None:
            table = {}
            for op in api.operations:
                table.setdefault(op.channel.key, set()).add(op.action)
                if op.reply is not None and op.reply.channel is not None:
                    reply_action = "send" if op.action == "receive" else "receive"
                    table.setdefault(op.reply.channel.key, set()).add(reply_action)
            self._actions[id(api)] = table
        return _affects_for(table.get(channel_key, ()))


def _affects_for(actions: Iterable[str]) -> str:
    acts = set(actions)
    if acts == {"send"}:
        return APP_SENDS
    if acts == {"receive"}:
        return APP_RECEIVES
    if acts:
        return APP_SENDS_AND_RECEIVES
    return ""


def _verb(action: str) -> str:
    return "sends" if action == "send" else "receives"


def _reply_target(reply: Reply | None) -> str | None:
    if reply is None:
        return None
    if reply.channel is not None:
        return reply.channel.address or reply.channel.key
    return reply.address_expr


def _param_schema(param: Parameter) -> dict[str, Any]:
    schema: dict[str, Any] = dict(param.schema) if param.schema else {"type": "string"}
    if param.enum and "enum" not in schema:
        schema["enum"] = list(param.enum)
    if param.pattern and "pattern" not in schema:
        schema["pattern"] = param.pattern
    return schema


def _message_identity(message: Message) -> Any:
    if message.payload is None:
        return None
    return canonical(message.payload.schema)


def diff_apis(old: Api, new: Api, options: SchemaOptions | None = None) -> list[Change]:
    """Every contract and schema change from ``old`` to ``new``."""
    return ContractDiff(old, new, options).run()
