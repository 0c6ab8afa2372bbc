"""Your implementation of the REST operations of ERP Events.

Written once by asyncgen and never overwritten: fill in the bodies. A handler that
raises ``NotImplementedError`` answers 501; raise ``fastapi.HTTPException`` for other
errors (e.g. 404). ``api.py`` (generated) validates parameters and bodies before
calling you, and your return value against the response model.
"""

from __future__ import annotations

from typing import Literal  # noqa: F401  (parameter types may use it)

from . import models


async def get_customer(customer_id: str) -> models.Customer:
    """getCustomer: Read one customer."""
    raise NotImplementedError("getCustomer")


async def list_orders(
    customer_id: str | None = None,
    status: Literal["pending", "confirmed", "shipped", "delivered", "cancelled"]
    | None = None,
    limit: int = 50,
) -> models.ListOrdersResponse200:
    """listOrders: List sales orders, newest first."""
    raise NotImplementedError("listOrders")


async def create_order(body: models.NewOrder, idempotency_key: str) -> models.Order:
    """createOrder: Place a sales order."""
    raise NotImplementedError("createOrder")


async def get_order(order_id: str) -> models.Order:
    """getOrder: Read one sales order."""
    raise NotImplementedError("getOrder")
