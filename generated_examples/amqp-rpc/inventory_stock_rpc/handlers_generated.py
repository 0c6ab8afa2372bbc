"""Default handlers and their signatures (generated; do not edit).

``handlers.py`` is yours: asyncgen wrote it once and never touches it again. For an
operation added to the spec later, the consumer falls back to the default here and
logs a warning until you copy its stub into ``handlers.py`` and fill it in.
"""

from __future__ import annotations

from . import runtime
from .models import StockCheckPayload, StockLevelPayload


async def on_check_stock(
    payload: StockCheckPayload,
    *,
    meta: runtime.Incoming,
) -> StockLevelPayload:
    """checkStock: from ``inventory.stock.check``.

    Stock check

    Return the reply; it is validated and sent with the request's correlation id.
    """
    runtime.logger.info("%s: received %s", "on_check_stock", type(payload).__name__)
    return StockLevelPayload.model_validate(
        {
            "sku": "PUMP-200",
            "available": 17,
            "reserved": 3,
            "byWarehouse": {"MUC1": 17},
            "asOf": "2026-03-02T10:00:00Z",
        }
    )
