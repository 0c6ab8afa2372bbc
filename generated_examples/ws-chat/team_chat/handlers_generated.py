"""Default handlers and their signatures (generated; do not edit).

``handlers.py`` is yours: asyncgen wrote it once and never touches it again. For an
operation added to the spec later, the consumer falls back to the default here and
logs a warning until you copy its stub into ``handlers.py`` and fill it in.
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
