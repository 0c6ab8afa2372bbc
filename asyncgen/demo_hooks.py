"""The webhook side of ``asyncgen demo``: a loopback receiver, subscription registration, signature checks.

The receiver is a plain ``http.server`` thread: it answers every POST with 204 and queues
what arrived (arrival time, headers, body). Signatures are verified with the independent
``standardwebhooks`` package and the secret the API returned at registration - never with
the generated project's own signing code.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from asyncgen.demo_procs import HOST, DemoError, free_port

#: the body ``type`` of the signed request the generated API sends to a callback URL before storing it
VERIFICATION_EVENT = "webhook.endpoint_verification"


@dataclass(frozen=True)
class Delivery:
    """One POST the receiver got."""

    arrived: float  # time.monotonic()
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "?")

    def field(self, name: str) -> str | None:
        """A string field of the JSON body (None: not JSON, not an object, or no such string)."""
        try:
            data = json.loads(self.body)
        except ValueError:
            return None
        value = data.get(name) if isinstance(data, dict) else None
        return value if isinstance(value, str) else None

    def event_id(self) -> str | None:
        return self.field("eventId")

    @property
    def is_verification(self) -> bool:
        """The API's endpoint verification request at registration (not an event)."""
        return self.field("type") == VERIFICATION_EVENT


class Receiver:
    """A webhook receiver on 127.0.0.1 (a free port), answering 204 to every POST."""

    def __init__(self, path: str = "/hooks/erp") -> None:
        self.path = path
        self.port = 0
        self.deliveries: queue.Queue[Delivery] = queue.Queue()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}{self.path}"

    def start(self) -> Receiver:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                # queued before the answer: whoever waits for the answer finds it queued
                owner.deliveries.put(Delivery(time.monotonic(), headers, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:  # no access log on the demo's output
                pass

        self.port = free_port()
        self._server = ThreadingHTTPServer((HOST, self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="webhook-receiver", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None


def verify(secret: str, delivery: Delivery) -> str | None:
    """None when the Standard Webhooks signature is valid for ``secret``, else why not."""
    from standardwebhooks import Webhook
    from standardwebhooks.webhooks import WebhookVerificationError

    try:
        Webhook(secret).verify(delivery.body, delivery.headers)
    except WebhookVerificationError as err:
        return str(err) or type(err).__name__
    except Exception as err:  # a malformed header: base64/ValueError from inside the library
        return f"{type(err).__name__}: {err}"
    return None


@dataclass(frozen=True)
class Subscription:
    id: str
    secret: str


def register(api_url: str, api_key: str, callback_url: str, event_types: list[str]) -> Subscription:
    """POST /subscriptions through the generated API; the subscription's id and signing secret."""
    import httpx

    try:
        with httpx.Client(
            base_url=api_url, headers={"X-API-Key": api_key}, timeout=10, trust_env=False
        ) as client:
            answer = client.post(
                "/subscriptions", json={"callbackUrl": callback_url, "eventTypes": event_types}
            )
    except httpx.HTTPError as err:
        raise DemoError(f"cannot register the webhook at {api_url}/subscriptions: {err}") from None
    if answer.status_code != 201:
        raise DemoError(
            f"registering the webhook failed: POST {api_url}/subscriptions answered "
            f"{answer.status_code}: {answer.text[:500]}"
        )
    data = answer.json()
    if not isinstance(data, dict) or not isinstance(data.get("secret"), str) or not data.get("id"):
        raise DemoError(f"POST /subscriptions answered without an id and secret: {answer.text[:500]}")
    return Subscription(str(data["id"]), data["secret"])


def ready(url: str) -> bool:
    """GET ``url`` answers 200 (the API's /readyz)."""
    import httpx

    try:
        return httpx.get(url, timeout=1.0, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False
