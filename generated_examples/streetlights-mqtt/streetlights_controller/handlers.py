"""Your handlers: one per message the service receives. This file is yours.

asyncgen wrote it once and never overwrites it. When the spec gains operations,
their default handlers appear in ``handlers_generated.py`` (the consumers use them,
with a warning, until a function of the same name exists here): copy them over.
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
