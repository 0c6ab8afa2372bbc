"""Hints for common mistakes: close spellings and fields that moved between versions."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

#: AsyncAPI 2.x fields that AsyncAPI 3 moved or renamed: key -> (hint, required fields it stands for)
V3_MOVED_SERVER = {
    "url": (
        "AsyncAPI 3 splits `url` into `host` (and `pathname`), e.g. `host: broker.example.com:1883`",
        ("host",),
    ),
}
V3_MOVED_CHANNEL = {
    "publish": (
        "AsyncAPI 3 moved `publish`/`subscribe` to `operations` (`action: receive`/`send`, "
        "`channel: {$ref: '#/channels/<id>'}`); 2.x `publish` is 3.x `receive`",
        (),
    ),
    "subscribe": (
        "AsyncAPI 3 moved `publish`/`subscribe` to `operations` (`action: receive`/`send`, "
        "`channel: {$ref: '#/channels/<id>'}`); 2.x `subscribe` is 3.x `send`",
        (),
    ),
}
V3_MOVED_MESSAGE = {
    "schemaFormat": (
        "AsyncAPI 3 puts the format next to the schema: "
        "`payload: {schemaFormat: '...', schema: {...}}` (a Multi Format Schema Object)",
        (),
    ),
    "messageId": ("AsyncAPI 3 identifies a message by its key in `messages`; `messageId` is gone", ()),
}
V3_MOVED_OPERATION = {
    "operationId": ("AsyncAPI 3 identifies an operation by its key in `operations`; drop `operationId`", ()),
    "message": ("AsyncAPI 3 operations list `messages: [{$ref: '#/channels/<id>/messages/<key>'}]`", ()),
}
V3_MOVED_PARAMETER = {
    "schema": (
        "AsyncAPI 3 parameters have no `schema`; use `enum`, `default`, `examples` and `description`",
        (),
    ),
}
V2_FROM_V3_ROOT = {
    "operations": (
        "`operations` is AsyncAPI 3; in 2.x operations live in a channel as `publish`/`subscribe` "
        "(or set `asyncapi: 3.0.0`)",
        (),
    ),
}
V2_FROM_V3_SERVER = {
    "host": ("`host`/`pathname` are AsyncAPI 3; 2.x servers have one `url`", ("url",)),
    "pathname": ("`host`/`pathname` are AsyncAPI 3; 2.x servers have one `url`", ()),
}
V2_FROM_V3_CHANNEL = {
    "address": ("`address` is AsyncAPI 3; in 2.x the channel's key is its address", ()),
    "messages": (
        "channel `messages` is AsyncAPI 3; in 2.x messages go under `publish`/`subscribe` `message`",
        (),
    ),
}

RUNTIME_EXPRESSION_HINT = (
    "a runtime expression is `$message.header#/<json pointer>` or `$message.payload#/<json pointer>`, "
    "e.g. `$message.header#/correlationId`"
)


def close_match(word: str, choices: Iterable[str]) -> str | None:
    """The choice closest to ``word`` (difflib, or the same word in another case), if any."""
    options = [c for c in choices if isinstance(c, str)]
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.7)
    if close:
        return close[0]
    lowered = {c.lower(): c for c in options}
    if word.lower() in lowered:
        return lowered[word.lower()]
    prefixed = [c for c in options if len(word) >= 3 and c.lower().startswith(word.lower())]
    return prefixed[0] if len(prefixed) == 1 else None


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """ "did you mean `x`?" when a choice is close enough, else None."""
    meant = close_match(word, choices)
    return f"did you mean `{meant}`?" if meant else None
