from __future__ import annotations

from .broker import broker
from .models import Payload


async def turn_on(payload: Payload, *, streetlight_id: str) -> None:
    """turnOn: publish to the action topic."""
    await broker.publish(
        payload.model_dump_json().encode(),
        f"smartylighting/streetlights/1/0/action/{streetlight_id}/turn/on",
        qos=1,
    )


async def publish_user_notification(payload: Payload, *, user_id: str) -> None:
    """publishUserNotification: publish."""
    await broker.publish(payload.model_dump_json().encode(), channel=f"notifications.user.{user_id}")


async def raise_alert(payload: Payload, *, site_id: str) -> None:
    """raiseAlert: publish."""
    await broker.publish(payload.model_dump_json().encode(), subject=f"telemetry.{site_id}.alerts")


async def send_stock_level(payload: Payload, *, reply_queue: str) -> None:
    """sendStockLevel: publish."""
    await broker.publish(payload.model_dump_json().encode(), routing_key=reply_queue)


async def publish_order_created(
    payload: Payload, *, key: str | None = None, headers: dict[str, str] | None = None
) -> None:
    """publishOrderCreated: publish."""
    await broker.publish(
        payload.model_dump_json().encode(),
        topic="erp.order.created",
        key=key.encode() if key else None,
        headers=headers,
    )
