from __future__ import annotations

import logging
from typing import Any

from .models import Payload

logger = logging.getLogger("fakesvc")


async def on_message(payload: Payload, *, params: dict[str, str] | None = None, meta: Any = None) -> None:
    """The default handler: log."""
    logger.info("on_message: received %s", type(payload).__name__)


async def on_request(payload: Payload, *, meta: Any = None) -> Payload:
    """The default request handler: answer with a canned reply."""
    logger.info("on_request: received %s", type(payload).__name__)
    data = payload.model_dump()
    return Payload(sku=data.get("sku"), available=17, reserved=3, asOf="2026-03-02T10:00:00Z")
