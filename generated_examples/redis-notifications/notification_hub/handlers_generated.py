"""Default handlers and their signatures (generated; do not edit).

``handlers.py`` is yours: asyncgen wrote it once and never touches it again. For an
operation added to the spec later, the consumer falls back to the default here and
logs a warning until you copy its stub into ``handlers.py`` and fill it in.
"""

from __future__ import annotations

from . import runtime
from .models import NotificationRequestedPayload


async def on_handle_notification_requested(
    payload: NotificationRequestedPayload,
    *,
    meta: runtime.Incoming,
) -> None:
    """handleNotificationRequested: from ``notifications.requested``.

    Notification requested
    """
    runtime.logger.info(
        "%s: received %s", "on_handle_notification_requested", type(payload).__name__
    )
