"""Your handlers: one per message the service receives. This file is yours.

asyncgen wrote it once and never overwrites it. When the spec gains operations,
their default handlers appear in ``handlers_generated.py`` (the consumers use them,
with a warning, until a function of the same name exists here): copy them over.
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
