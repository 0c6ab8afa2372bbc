from __future__ import annotations

import logging
from typing import Any

from .settings import KIND, get_settings


def make_broker() -> Any:
    s = get_settings()
    log = logging.getLogger("fakesvc")
    if KIND == "mqtt":
        from faststream.mqtt import MQTTBroker

        return MQTTBroker(s.broker_url, client_id=s.client_id, logger=log)
    if KIND == "redis":
        from faststream.redis import RedisBroker
        from faststream.redis.parser.message import MessageFormat

        class RawFormat(MessageFormat):
            """The payload bytes as they are (FastStream's default binary envelope is opaque to others)."""

            @classmethod
            async def encode(cls, **kwargs: Any) -> bytes:
                return (await cls.build(**kwargs)).data

            @classmethod
            def parse(cls, data: bytes) -> tuple[bytes, dict[str, Any]]:
                return data, {}

        return RedisBroker(s.broker_url, logger=log, message_format=RawFormat)
    if KIND == "nats":
        from faststream.nats import NatsBroker

        return NatsBroker(s.broker_url, logger=log)
    if KIND == "rabbit":
        from faststream.rabbit import RabbitBroker

        return RabbitBroker(s.broker_url, logger=log)
    from faststream.kafka import KafkaBroker

    return KafkaBroker(s.broker_url, client_id=s.client_id, logger=log)


broker = make_broker()
