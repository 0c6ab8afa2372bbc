"""Default handlers and their signatures (generated; do not edit).

``handlers.py`` is yours: asyncgen wrote it once and never touches it again. For an
operation added to the spec later, the consumer falls back to the default here and
logs a warning until you copy its stub into ``handlers.py`` and fill it in.
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
