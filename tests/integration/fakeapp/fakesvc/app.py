from __future__ import annotations

import importlib
import logging
from typing import Any

from faststream import FastStream

from . import handlers_generated
from .broker import broker
from .models import Payload
from .settings import KIND, SPEC, get_settings

logger = logging.getLogger("fakesvc")


def handler(name: str) -> Any:
    try:
        module = importlib.import_module(".handlers", __package__)
    except ModuleNotFoundError:
        module = handlers_generated
    return getattr(module, name, None) or getattr(handlers_generated, name)


if KIND == "mqtt":
    from faststream.mqtt import MQTTMessage

    @broker.subscriber("smartylighting/streetlights/1/0/event/{streetlightId}/lighting/measured")
    async def measured(message: MQTTMessage) -> None:
        await handler("on_message")(
            Payload.model_validate_json(message.body), params=dict(message.path), meta=None
        )

elif KIND == "redis":
    from faststream.redis import RedisMessage

    @broker.subscriber(channel="notifications.requested")
    async def requested(message: RedisMessage) -> None:
        await handler("on_message")(Payload.model_validate_json(message.body), params={}, meta=None)

elif KIND == "nats":
    from faststream.nats import NatsMessage

    @broker.subscriber("telemetry.{siteId}.{deviceId}.readings", queue="telemetry-ingest")
    async def readings(message: NatsMessage) -> None:
        await handler("on_message")(
            Payload.model_validate_json(message.body), params=dict(message.path), meta=None
        )

elif KIND == "rabbit":
    from faststream.rabbit import ExchangeType, RabbitExchange, RabbitMessage, RabbitQueue

    @broker.subscriber(
        RabbitQueue("inventory.stock.check", durable=True, routing_key="inventory.stock.check"),
        RabbitExchange("inventory", type=ExchangeType.DIRECT, durable=True),
    )
    async def check(message: RabbitMessage) -> bytes:
        reply = await handler("on_request")(Payload.model_validate_json(message.body), meta=None)
        return reply.model_dump_json().encode()

elif SPEC == "erp-events.asyncapi.yaml":
    from faststream.kafka import KafkaMessage

    @broker.subscriber("payments.payment.received", group_id="erp-payments")
    async def payments(message: KafkaMessage) -> None:
        await handler("on_message")(Payload.model_validate_json(message.body), params={}, meta=None)

else:
    from faststream.kafka import KafkaMessage

    @broker.subscriber("pricing.quote.requests", group_id="pricing-service")
    async def quotes(message: KafkaMessage) -> None:
        reply = await handler("on_request")(Payload.model_validate_json(message.body), meta=None)
        headers = message.headers
        await broker.publish(
            reply.model_dump_json().encode(),
            topic=headers.get("replyTo") or "pricing.quote.replies",
            headers={"correlationId": headers.get("correlationId", "")},
        )


app = FastStream(broker, logger=logger)


@app.after_startup
async def ready() -> None:
    logger.info("ready: fakesvc (%s) on %s", SPEC, get_settings().broker_url)
