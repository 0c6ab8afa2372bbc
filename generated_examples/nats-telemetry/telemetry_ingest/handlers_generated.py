"""Default handlers and their signatures (generated; do not edit).

``handlers.py`` is yours: asyncgen wrote it once and never touches it again. For an
operation added to the spec later, the consumer falls back to the default here and
logs a warning until you copy its stub into ``handlers.py`` and fill it in.
"""

from __future__ import annotations

from . import channels, runtime
from .models import Reading


async def on_ingest_reading(
    payload: Reading,
    *,
    params: channels.ReadingsParams,
    meta: runtime.Incoming,
) -> None:
    """ingestReading: from ``telemetry.{siteId}.{deviceId}.readings``.

    Sensor reading
    """
    runtime.logger.info("%s: received %s", "on_ingest_reading", type(payload).__name__)
