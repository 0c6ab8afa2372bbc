"""Default handlers and their signatures (generated; do not edit).

``handlers.py`` is yours: asyncgen wrote it once and never touches it again. For an
operation added to the spec later, the consumer falls back to the default here and
logs a warning until you copy its stub into ``handlers.py`` and fill it in.
"""

from __future__ import annotations

from . import channels, runtime
from .models import LightMeasuredPayload


async def on_receive_light_measurement(
    payload: LightMeasuredPayload,
    *,
    params: channels.LightingMeasuredParams,
    meta: runtime.Incoming,
) -> None:
    """receiveLightMeasurement: from ``smartylighting/streetlights/1/0/event/{streetlightId}/lighting/measured``.

    Light intensity measured by a streetlight.
    """
    runtime.logger.info(
        "%s: received %s", "on_receive_light_measurement", type(payload).__name__
    )
