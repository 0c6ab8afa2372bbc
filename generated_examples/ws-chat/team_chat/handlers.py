"""Your handlers: one per message the service receives. This file is yours.

asyncgen wrote it once and never overwrites it. When the spec gains operations,
their default handlers appear in ``handlers_generated.py`` (the consumers use them,
with a warning, until a function of the same name exists here): copy them over.
"""

from __future__ import annotations

from . import channels, runtime
from .models import PostMessagePayload


async def on_receive_post(
    payload: PostMessagePayload,
    *,
    params: channels.RoomParams,
    meta: runtime.Incoming,
) -> None:
    """receivePost: from ``/rooms/{roomId}``.

    Post a message
    """
    runtime.logger.info("%s: received %s", "on_receive_post", type(payload).__name__)
