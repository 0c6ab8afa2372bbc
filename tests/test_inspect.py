"""summarize(api): readable, deterministic, safe plain text."""

from __future__ import annotations

from parse_support import parse_data

from asyncgen.errors import Diagnostics
from asyncgen.inspect import one_line, summarize

ASYNC = {
    "asyncapi": "3.0.0",
    "info": {"title": "Users\nService", "version": "1.0.0"},
    "servers": {"prod": {"host": "broker:9092", "protocol": "kafka"}},
    "channels": {
        "signup": {
            "address": "user/{userId}/signedup",
            "parameters": {"userId": {"enum": ["a", "b"]}},
            "messages": {"userSignedUp": {"payload": {"type": "object"}}},
        },
        "inbox": {"address": None, "messages": {"ack": {"payload": {"type": "string"}}}},
    },
    "operations": {
        "publishSignup": {
            "action": "send",
            "channel": {"$ref": "#/channels/signup"},
            "reply": {
                "channel": {"$ref": "#/channels/inbox"},
                "address": {"location": "$message.header#/replyTo"},
            },
        },
        "onSignup": {"action": "receive", "channel": {"$ref": "#/channels/signup"}},
    },
}

OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "Hooks", "version": "2"},
    "paths": {
        "/subscribe": {
            "post": {
                "operationId": "subscribe",
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {"201": {"description": "ok"}},
                "callbacks": {
                    "event": {"{$request.body#/url}": {"post": {"responses": {"200": {"description": "ok"}}}}}
                },
            }
        }
    },
    "webhooks": {"newThing": {"post": {"responses": {"200": {"description": "ok"}}}}},
}


def test_asyncapi_summary() -> None:
    text = summarize(parse_data(ASYNC))
    assert text.splitlines()[0] == "Users\\nService 1.0.0 (AsyncAPI 3.0.0)"
    assert "package: users_service" in text
    assert "prod  kafka  kafka://broker:9092" in text
    assert "signup: user/{userId}/signedup" in text
    assert "{userId} -> user_id (one of a|b)" in text
    assert "inbox: (dynamic address)" in text
    sends, receives = text.index("The application sends (1):"), text.index("The application receives (1):")
    assert sends < text.index("publish_signup") < receives < text.index("on_signup")
    assert (
        "reply -> channel inbox [dynamic]; address from $message.header#/replyTo; messages ack (AckPayload)"
        in text
    )
    assert "userSignedUp -> UserSignedUp: payload UserSignedUpPayload" in text
    assert text.rstrip().splitlines()[-1] == (
        "Totals: 1 server(s), 2 channel(s), 2 operation(s) (1 send, 1 receive), 2 message(s), 2 model(s)"
    )


def test_openapi_summary() -> None:
    text = summarize(parse_data(OPENAPI))
    assert "(OpenAPI 3.1.0)" in text
    assert "POST /subscribe  -> subscribe  [subscribe]" in text
    assert "body: SubscribeRequest (application/json)" in text
    assert "callback event -> {$request.body#/url}" in text
    assert "Webhooks (1):" in text and "newThing -> new_thing" in text
    assert "1 HTTP operation(s), 1 callback(s), 1 webhook(s)" in text


def test_deterministic() -> None:
    assert summarize(parse_data(ASYNC)) == summarize(parse_data(ASYNC))


def test_one_line_escapes_and_cuts() -> None:
    assert one_line('a\nb\t"c"') == 'a\\nb\\t"c"'
    assert one_line("x" * 200, 10) == "xxxxxxx..."


def test_warnings_are_listed_at_the_end() -> None:
    diagnostics = Diagnostics()
    data = {
        "asyncapi": "2.6.0",
        "info": {"title": "w", "version": "1"},
        "channels": {"a/{x}": {"publish": {"message": {"payload": {"type": "string"}}}}},
    }
    text = summarize(parse_data(data, diagnostics), diagnostics.warnings)
    assert "The application sends: nothing" in text
    tail = text.rstrip().splitlines()
    assert tail[-2] == "Warnings (1):"
    assert "{x} is used in the address but not declared" in tail[-1]
