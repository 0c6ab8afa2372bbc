"""Your handlers: one per message the service receives. This file is yours.

asyncgen wrote it once and never overwrites it. When the spec gains operations,
their default handlers appear in ``handlers_generated.py`` (the consumers use them,
with a warning, until a function of the same name exists here): copy them over.
"""

from __future__ import annotations

from . import runtime
from .models import QuoteRejected, QuoteReply, QuoteRequest, RequestHeaders


async def on_answer_quote_request(
    payload: QuoteRequest,
    *,
    headers: RequestHeaders,
    meta: runtime.Incoming,
) -> QuoteReply | QuoteRejected:
    """answerQuoteRequest: from ``pricing.quote.requests``.

    Quote request

    Return the reply; it is validated and sent with the request's correlation id.
    """
    runtime.logger.info(
        "%s: received %s", "on_answer_quote_request", type(payload).__name__
    )
    return QuoteReply.model_validate(
        {
            "sku": "PUMP-200",
            "quantity": 10,
            "currency": "EUR",
            "unitPrice": "576.00",
            "discountPercent": 10,
            "total": "5760.00",
            "validUntil": "2026-03-09T00:00:00Z",
        }
    )
