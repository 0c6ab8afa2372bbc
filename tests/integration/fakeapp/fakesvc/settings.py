from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

SPEC = (Path(__file__).parent / "spec.txt").read_text(encoding="utf-8").strip()
KIND = {
    "streetlights-mqtt.asyncapi.yaml": "mqtt",
    "redis-notifications.asyncapi.yaml": "redis",
    "nats-telemetry.asyncapi.yaml": "nats",
    "amqp-rpc.asyncapi.yaml": "rabbit",
    "erp-events.asyncapi.yaml": "kafka",
    "kafka-request-reply.asyncapi.yaml": "kafka",
}[SPEC]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FAKESVC_", extra="ignore")
    broker_url: str = ""
    client_id: str = "fakesvc"
    log_level: str = "INFO"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
