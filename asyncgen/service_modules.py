"""Per-module facts for the service templates: imports, subscriber groups, test usage.

Split from ``asyncgen/context.py`` (which builds the views these functions read) so
each stays small. Everything here is deterministic: sorted names, spec order.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from asyncgen.brokers import BrokerProfile
from asyncgen.examples import valid

if TYPE_CHECKING:
    from asyncgen.context import MessageView, OperationView


class Names:
    """Unique, non-keyword Python names, allocated in a deterministic order."""

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self.used: set[str] = set(reserved)

    def take(self, wanted: str) -> str:
        name = wanted if not keyword.iskeyword(wanted) else wanted + "_"
        candidate, n = name, 2
        while candidate in self.used:
            candidate = f"{name}_{n}"
            n += 1
        self.used.add(candidate)
        return candidate


@dataclass(frozen=True)
class Imports:
    """What one generated module imports (so nothing unused is imported)."""

    models: list[str]
    faststream: list[str]
    channels: bool
    any: bool


_FASTSTREAM_NAMES = {
    "QoS(": ("faststream.mqtt", "QoS"),
    "RabbitExchange(": ("faststream.rabbit", "RabbitExchange"),
    "RabbitQueue(": ("faststream.rabbit", "RabbitQueue"),
    "ExchangeType.": ("faststream.rabbit", "ExchangeType"),
    "AckPolicy.": ("faststream", "AckPolicy"),
}


def imports(ops: Sequence[OperationView], profile: BrokerProfile, part: str) -> Imports:
    """Names one module needs: ``part`` is send, receive, handler or test."""
    classes: set[str] = set()
    code: list[str] = []
    for o in ops:
        msgs = o.messages if part == "receive" else o.messages + o.reply_messages
        classes |= {m.payload_class for m in msgs if m.typed}
        if part != "send":
            classes |= {m.headers_class for m in o.messages if m.headers_class}
        elif o.headers_type:
            classes |= {m.headers_class for m in o.messages if m.headers_class}
        if part == "receive":
            code.append(o.subscriber_args)
        elif part in ("send", "test"):
            code.append(o.publish_kwargs)
        if part == "test":
            code.append(o.spy_args if o.action == "send" else o.reply_spy_args)
    wanted: dict[str, set[str]] = {}
    for token, (module, name) in _FASTSTREAM_NAMES.items():
        if any(token in c for c in code):
            wanted.setdefault(module, set()).add(name)
    if part == "receive":
        wanted.setdefault(profile.module, set()).add(profile.message_class)
    lines = [f"from {mod} import {', '.join(sorted(names))}" for mod, names in sorted(wanted.items())]
    return Imports(
        models=sorted(classes),
        faststream=lines,
        channels=any(o.channel.parameterised for o in ops) or part in ("send", "test"),
        any=any(m.payload_class == "Any" for o in ops for m in _typed_messages(o, part)),
    )


@dataclass
class SubscriberGroup:
    """The receive operations on one address: one subscriber tries each in order."""

    function: str
    ops: list[OperationView]

    @property
    def first(self) -> OperationView:
        return self.ops[0]

    @property
    def has_reply(self) -> bool:
        return any(o.has_reply for o in self.ops)

    @property
    def payload_type(self) -> str:
        """What the subscriber's payload argument is: any operation's payload (documented by
        FastStream as the subscriber's message)."""
        types = dict.fromkeys(t for o in self.ops for t in o.payload_type.split(" | "))
        return "Any" if "Any" in types else " | ".join(types)

    @property
    def decoder(self) -> str:
        """The subscriber's FastStream decoder: validates the payload, refuses an invalid message."""
        return f"_decode_{self.function}"


def groups(receives: Sequence[OperationView], defs: Mapping[str, Any]) -> list[SubscriberGroup]:
    by_channel: dict[str, list[OperationView]] = {}
    for o in receives:
        earlier = by_channel.setdefault(o.channel.address, [])  # one subscriber per address
        for m in o.dispatch:
            for prior in earlier:
                if m.has_example and any(
                    p.message.payload is not None and valid(m.example, dict(p.message.payload.schema), defs)
                    for p in prior.messages
                ):
                    m.shadowed_by = prior.key
                    break
        earlier.append(o)
    names = Names(o.function for o in receives)
    groups = []
    for ops in by_channel.values():
        function = ops[0].function if len(ops) == 1 else names.take(f"consume_{ops[0].channel.ident}")
        groups.append(SubscriberGroup(function, ops))
    return groups


def _typed_messages(o: OperationView, part: str) -> list[MessageView]:
    """The messages whose payload types a module's code spells out."""
    if part == "receive":
        return o.messages
    return o.messages + (o.reply_messages if o.has_reply else [])


def test_uses(ops: Sequence[OperationView], profile: BrokerProfile) -> dict[str, bool]:
    """Which names the generated test module uses (so it imports nothing unused)."""
    receives = [o for o in ops if o.action == "receive"]
    sends = [o for o in ops if o.action == "send"]
    runnable_sends = [o for o in sends if o.messages and o.messages[0].has_example and o.messages[0].typed]
    runnable_receives = [
        (o, m) for o in receives for m in o.dispatch if m.has_example and o.channel.has_example
    ]
    return {
        "channels": any(o.channel.parameterised for o, _ in runnable_receives),
        "message_class": bool(runnable_sends)
        or any(o.reply_spy_args and o.has_reply for o, _ in runnable_receives)
        or (profile.dead_letter == "topic" and any(o.channel.has_example for o in receives)),
        "base_model": any(o.messages[0].invalid and o.channel.has_example for o in runnable_sends),
        "runtime": any(o.has_reply and o.reply_example for o, _ in runnable_receives),
        "pytest": bool(receives or sends),
        "models": bool(runnable_sends) or any(m.typed or o.has_reply for o, m in runnable_receives),
    }
