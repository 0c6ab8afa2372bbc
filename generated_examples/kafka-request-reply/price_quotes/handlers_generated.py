"""Default handlers and their signatures (generated; do not edit).

``handlers.py`` is yours: asyncgen wrote it once and never touches it again. For an
operation added to the spec later, the consumer falls back to the default here and
logs a warning until you copy its stub into ``handlers.py`` and fill it in.
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
