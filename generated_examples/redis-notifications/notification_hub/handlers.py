"""Your handlers: one per message the service receives. This file is yours.

asyncgen wrote it once and never overwrites it. When the spec gains operations,
their default handlers appear in ``handlers_generated.py`` (the consumers use them,
with a warning, until a function of the same name exists here): copy them over.
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
