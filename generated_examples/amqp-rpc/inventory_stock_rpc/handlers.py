"""Your handlers: one per message the service receives. This file is yours.

asyncgen wrote it once and never overwrites it. When the spec gains operations,
their default handlers appear in ``handlers_generated.py`` (the consumers use them,
with a warning, until a function of the same name exists here): copy them over.
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
