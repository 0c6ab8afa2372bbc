"""What a diff finds: :class:`Change`, and the compatibility modes that classify it.

Every change carries two facts, decided where the change is detected:

* ``backward`` - it breaks the pair (writer = OLD, reader = NEW): data produced
  with the OLD version may be unreadable by a consumer using the NEW version;
* ``forward`` - it breaks the pair (writer = NEW, reader = OLD): data produced
  with the NEW version may be unreadable by a consumer using the OLD version.

The modes are those of schema registries (Confluent semantics) and only combine
the two facts: ``BACKWARD`` checks ``backward``, ``FORWARD`` checks ``forward``,
``FULL`` both; the ``_TRANSITIVE`` variants ask the same question of the newest
version against *every* earlier one (the caller diffs each pair), ``NONE``
accepts everything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from asyncgen.diff.keywords import canonical
from asyncgen.errors import escape_pointer_part


class Mode(StrEnum):
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"
    NONE = "NONE"

    @property
    def transitive(self) -> bool:
        return self.value.endswith("_TRANSITIVE")

    @property
    def checks_backward(self) -> bool:
        return self.value.startswith(("BACKWARD", "FULL"))

    @property
    def checks_forward(self) -> bool:
        return self.value.startswith(("FORWARD", "FULL"))


MODES: tuple[Mode, ...] = tuple(Mode)

#: ``Change.affects``: which side reads the data (the app's role follows from it)
APP_SENDS = "app sends: its consumers read"
APP_RECEIVES = "app receives: the app reads"
APP_SENDS_AND_RECEIVES = "app sends and receives"
APP_RESPONDS = "app responds: its clients read"
APP_IS_CALLED = "clients request: the app reads"
APP_CALLS = "app calls out: the receiver reads"
APP_IS_ANSWERED = "responses to the app's calls: the app reads"
APP_WRITES = frozenset({APP_SENDS, APP_RESPONDS, APP_CALLS})
APP_READS = frozenset({APP_RECEIVES, APP_IS_CALLED, APP_IS_ANSWERED})

BREAKING = "breaking"
NON_BREAKING = "non-breaking"
INFO = "info"


@dataclass(frozen=True)
class Change:
    """One difference between two versions, with its compatibility facts.

    ``path`` is slash-joined element names from the spec root down to the node,
    e.g. ``channels/orderCreated/messages/OrderCreated/payload/properties/total``.
    ``old``/``new`` are JSON-compatible values (``None`` when absent).
    """

    kind: str
    path: str
    detail: str
    old: Any = None
    new: Any = None
    backward: bool = False
    forward: bool = False
    #: who is hurt when it breaks (from the operation's action), e.g. "consumers of this app"
    affects: str = ""
    #: for transitive diffs: the label(s) of the older version(s) this change was found against
    against: str = ""
    #: found only against versions before the previous one: counts for _TRANSITIVE modes only
    transitive_only: bool = False

    def breaks(self, mode: Mode) -> bool:
        if mode is Mode.NONE or (self.transitive_only and not mode.transitive):
            return False
        return (mode.checks_backward and self.backward) or (mode.checks_forward and self.forward)

    @property
    def breaking_under(self) -> list[str]:
        return [m.value for m in MODES if self.breaks(m)]

    def severity(self, mode: Mode) -> str:
        """``breaking`` under ``mode``; ``non-breaking`` if it breaks some other mode; else ``info``."""
        if self.breaks(mode):
            return BREAKING
        if self.backward or self.forward:
            return NON_BREAKING
        return INFO

    def under(self, prefix: str) -> Change:
        """The same change with ``prefix`` put in front of its path."""
        path = f"{prefix}/{self.path}" if self.path else prefix
        return replace(self, path=path)

    def to_json(self, mode: Mode) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "path": self.path,
            "detail": self.detail,
            "old": _jsonable(self.old),
            "new": _jsonable(self.new),
            "breaking_under": self.breaking_under,
            "breaking": self.breaks(mode),
            "severity": self.severity(mode),
        }
        if self.affects:
            data["affects"] = self.affects
        if self.against:
            data["against"] = self.against
        return data


def _jsonable(value: Any) -> Any:
    """``value`` if it serialises as JSON (schemas from a resolved graph may be cyclic), else its text."""
    try:
        json.dumps(value, default=str)
    except (ValueError, RecursionError):
        return f"<recursive {type(value).__name__}>"
    return value


def join(base: str, *parts: str | int) -> str:
    """``base`` (a path already) extended by ``parts``; ``~``/``/`` inside a part are escaped
    as ``~0``/``~1`` like JSON pointers (channel addresses contain ``/``)."""
    escaped = [escape_pointer_part(p) for p in parts]
    return "/".join([base, *escaped] if base else escaped)


def is_breaking(changes: list[Change], mode: Mode) -> bool:
    return any(c.breaks(mode) for c in changes)


def security_changes(old: Sequence[str], new: Sequence[str], path: str, affects: str = "") -> list[Change]:
    """Security requirements as alternatives (any of): the caller/writer picks one, the
    callee/reader accepts those listed. None listed = no security."""
    old_set, new_set = set(old), set(new)
    if old_set == new_set:
        return []
    if not old_set:
        return [
            Change(
                "security-added",
                path,
                f"security now required: {', '.join(new)}",
                None,
                list(new),
                backward=True,
                affects=affects,
            )
        ]
    if not new_set:
        return [
            Change(
                "security-removed",
                path,
                "security no longer required",
                list(old),
                None,
                forward=True,
                affects=affects,
            )
        ]
    removed = [s for s in old if s not in new_set]
    added = [s for s in new if s not in old_set]
    detail = "security schemes " + "; ".join(
        part
        for part in (
            f"removed {', '.join(removed)}" if removed else "",
            f"added {', '.join(added)}" if added else "",
        )
        if part
    )
    return [
        Change(
            "security-changed",
            path,
            detail,
            list(old),
            list(new),
            backward=bool(removed),
            forward=bool(added),
            affects=affects,
        )
    ]


def app_first_safe(changes: Sequence[Change]) -> bool:
    """Can the app on NEW go live while its peers are still on OLD?

    Where the app writes, its OLD readers meet NEW data (the FORWARD question);
    where it reads, it meets OLD data (the BACKWARD question); a change without a
    side (a server, a channel's address) must be neither.
    """
    return not any(_peer_risk(c, app_first=True) for c in changes)


def peers_first_safe(changes: Sequence[Change]) -> bool:
    """Can the app's peers move to NEW while the app is still on OLD?"""
    return not any(_peer_risk(c, app_first=False) for c in changes)


def _peer_risk(change: Change, *, app_first: bool) -> bool:
    if change.transitive_only:
        return False
    if change.affects in APP_WRITES:
        return change.forward if app_first else change.backward
    if change.affects in APP_READS:
        return change.backward if app_first else change.forward
    return change.backward or change.forward


def binding_changes(old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> list[Change]:
    """Protocol bindings (Kafka keys, AMQP exchanges, ...), per protocol, as info: their
    meaning differs too much between protocols to classify here."""
    found = []
    for protocol in dict.fromkeys([*old, *new]):
        if canonical(old.get(protocol)) != canonical(new.get(protocol)):
            verb = "added" if protocol not in old else "removed" if protocol not in new else "changed"
            found.append(
                Change(
                    f"bindings-{verb}",
                    join(path, "bindings", protocol),
                    f"{protocol} bindings {verb}",
                    old.get(protocol),
                    new.get(protocol),
                )
            )
    return found
