"""Your handlers: one per message the service receives. This file is yours.

asyncgen wrote it once and never overwrites it. When the spec gains operations,
their default handlers appear in ``handlers_generated.py`` (the consumers use them,
with a warning, until a function of the same name exists here): copy them over.
"""

from __future__ import annotations

from . import runtime
from .models import OrderPlaced


async def on_fulfil_order(
    payload: OrderPlaced,
    *,
    meta: runtime.Incoming,
) -> None:
    """fulfilOrder: from ``shop.orders.placed``.

    Order placed
    """
    runtime.logger.info("%s: received %s", "on_fulfil_order", type(payload).__name__)
