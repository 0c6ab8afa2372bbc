"""OpenAPI 3.0/3.1 -> IR: operations, parameters, bodies, callbacks, webhooks."""

from __future__ import annotations

from typing import Any

from parse_support import parse_data

from asyncgen.errors import Diagnostics

ORDERS: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Orders API", "version": "1.2.0"},
    "servers": [
        {"url": "https://api.example.com/v1", "description": "prod"},
        {"url": "/relative"},
        {
            "url": "{scheme}://{host}",
            "variables": {
                "scheme": {"default": "https", "enum": ["http", "https"]},
                "host": {"default": "x"},
            },
        },
    ],
    "security": [{"apiKey": []}],
    "paths": {
        "/orders/{orderId}": {
            "parameters": [
                {"name": "orderId", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "verbose", "in": "query", "schema": {"type": "boolean"}},
            ],
            "get": {
                "operationId": "getOrder",
                "parameters": [
                    {"name": "verbose", "in": "query", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}},
                    },
                    "404": {
                        "description": "nope",
                        "content": {
                            "application/json": {
                                "schema": {"type": "object", "properties": {"msg": {"type": "string"}}}
                            }
                        },
                    },
                },
                "security": [],
            },
            "delete": {"responses": {"204": {"description": "gone"}}},
        },
        "/subscriptions": {
            "post": {
                "operationId": "subscribe",
                "tags": ["hooks"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/xml": {"schema": {"type": "string"}},
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"callbackUrl": {"type": "string", "format": "uri"}},
                            }
                        },
                    },
                },
                "responses": {"201": {"description": "created"}},
                "callbacks": {
                    "orderEvent": {
                        "{$request.body#/callbackUrl}": {
                            "post": {
                                "requestBody": {
                                    "content": {
                                        "application/json": {"schema": {"$ref": "#/components/schemas/Order"}}
                                    }
                                },
                                "responses": {"200": {"description": "ok"}},
                            }
                        }
                    }
                },
            }
        },
    },
    "components": {
        "schemas": {
            "Order": {
                "type": "object",
                "properties": {"id": {"type": "string"}, "note": {"type": "string", "nullable": True}},
            }
        },
        "securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "X-Key"}},
    },
}


def test_operations_keys_and_parameters_merged() -> None:
    api = parse_data(ORDERS)
    assert api.family == "openapi" and api.package == "orders_api"
    get, delete, _post = api.http_operations
    assert (get.key, get.ident, get.method, get.path) == ("getOrder", "get_order", "get", "/orders/{orderId}")
    assert delete.key == "delete_/orders/{orderId}" and delete.ident == "delete_orders_order_id"
    params = {(p.name, p.location): p for p in get.parameters}
    assert params["orderId", "path"].required
    assert params["verbose", "query"].schema == {"type": "integer"}  # operation-level wins
    assert params["verbose", "query"].required
    assert [p.name for p in delete.parameters] == ["orderId", "verbose"]


def test_request_and_response_bodies() -> None:
    diagnostics = Diagnostics()
    api = parse_data(ORDERS, diagnostics)
    get, _, post = api.http_operations
    ok, missing = get.responses
    assert ok.status == "200" and ok.bodies[0].schema is not None and ok.bodies[0].schema.name == "Order"
    assert missing.bodies[0].schema is not None and missing.bodies[0].schema.name == "GetOrderResponse404"
    body = post.request_body
    assert body is not None and body.required and body.content_type == "application/json"
    assert body.schema is not None and body.schema.name == "SubscribeRequest"
    assert any("application/xml" in w.message for w in diagnostics.warnings)
    order = next(s for s in api.schemas if s.name == "Order")
    assert order.schema["properties"]["note"] == {"type": ["string", "null"]}


def test_callbacks_with_runtime_expressions() -> None:
    api = parse_data(ORDERS)
    post = api.http_operations[2]
    (callback,) = post.callbacks
    assert callback.name == "orderEvent" and callback.ident == "order_event"
    assert callback.expression == "{$request.body#/callbackUrl}"
    (cb_op,) = callback.operations
    assert cb_op.method == "post" and cb_op.path == "{$request.body#/callbackUrl}"
    assert cb_op.key == "orderEvent_post"
    assert cb_op.request_body is not None and cb_op.request_body.schema is not None
    assert cb_op.request_body.schema.name == "Order"
    assert api.callbacks == (callback,)


def test_security_and_tags() -> None:
    api = parse_data(ORDERS)
    get, delete, post = api.http_operations
    assert get.security == ()  # explicit empty list: no auth
    assert delete.security == ("apiKey",)  # inherited from the root
    assert post.tags == ("hooks",)
    assert [s.key for s in api.security_schemes] == ["apiKey"]


def test_servers() -> None:
    prod, relative, templated = parse_data(ORDERS).servers
    assert (prod.key, prod.protocol, prod.host, prod.pathname) == (
        "server0",
        "https",
        "api.example.com",
        "/v1",
    )
    assert relative.protocol == "http" and relative.host == "" and relative.pathname == "/relative"
    assert templated.protocol == "http" and [v.name for v in templated.variables] == ["scheme", "host"]


def test_webhooks_31() -> None:
    api = parse_data(
        {
            "openapi": "3.1.0",
            "info": {"title": "Hooks", "version": "1"},
            "webhooks": {
                "newPet": {
                    "post": {
                        "requestBody": {
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}
                        },
                        "responses": {"200": {"description": "ok"}},
                    }
                }
            },
            "components": {
                "schemas": {"Pet": {"type": ["object", "null"], "properties": {"name": {"type": "string"}}}}
            },
        }
    )
    (hook,) = api.webhooks
    assert hook.name == "newPet" and hook.ident == "new_pet"
    (op,) = hook.operations
    assert op.key == "newPet_post" and op.path == "newPet"
    assert op.request_body is not None and op.request_body.schema is not None
    assert op.request_body.schema.schema["type"] == ["object", "null"]
    assert api.http_operations == ()


def test_response_headers_are_reported() -> None:
    diagnostics = Diagnostics()
    data = {
        "openapi": "3.0.0",
        "info": {"title": "h", "version": "1"},
        "paths": {
            "/a": {
                "get": {
                    "responses": {
                        "200": {"description": "ok", "headers": {"X-Rate": {"schema": {"type": "integer"}}}}
                    }
                }
            }
        },
    }
    parse_data(data, diagnostics)
    assert any("response headers" in w.message for w in diagnostics.warnings)


def test_extensions_are_kept_for_callbacks_and_webhooks() -> None:
    api = parse_data(
        {
            "openapi": "3.1.0",
            "info": {"title": "x", "version": "1"},
            "paths": {
                "/s": {
                    "post": {
                        "x-team": "a",
                        "responses": {"201": {"description": "ok"}},
                        "callbacks": {
                            "ev": {
                                "{$request.body#/url}": {
                                    "post": {
                                        "x-asyncgen-channel": "orderCreated",
                                        "responses": {"200": {"description": "ok"}},
                                    }
                                }
                            }
                        },
                    }
                }
            },
            "webhooks": {
                "w": {"x-asyncgen-channel": "c", "post": {"responses": {"200": {"description": "ok"}}}}
            },
        }
    )
    (op,) = api.http_operations
    assert op.extensions == {"x-team": "a"}
    assert op.callbacks[0].operations[0].extensions == {"x-asyncgen-channel": "orderCreated"}
    assert api.webhooks[0].extensions == {"x-asyncgen-channel": "c"}


def test_shared_callback_path_item_gives_distinct_operations() -> None:
    cb = {"{$request.body#/url}": {"post": {"responses": {"200": {"description": "ok"}}}}}
    api = parse_data(
        {
            "openapi": "3.0.3",
            "info": {"title": "x", "version": "1"},
            "paths": {
                "/a": {
                    "post": {
                        "responses": {"201": {"description": "ok"}},
                        "callbacks": {"ev": {"$ref": "#/components/callbacks/ev"}},
                    }
                },
                "/b": {
                    "post": {
                        "responses": {"201": {"description": "ok"}},
                        "callbacks": {"ev": {"$ref": "#/components/callbacks/ev"}},
                    }
                },
            },
            "components": {"callbacks": {"ev": cb}},
        }
    )
    ops = [op for cb_ in api.callbacks for op in cb_.operations]
    assert len(ops) == 2 and ops[0].key != ops[1].key and ops[0].ident != ops[1].ident
    assert len({cb_.ident for cb_ in api.callbacks}) == 2


def test_unrepresented_parameter_styles_and_servers_are_warned() -> None:
    diagnostics = Diagnostics()
    parse_data(
        {
            "openapi": "3.0.3",
            "info": {"title": "x", "version": "1"},
            "paths": {
                "/a": {
                    "servers": [{"url": "https://other"}],
                    "get": {
                        "parameters": [
                            {
                                "name": "ids",
                                "in": "query",
                                "style": "pipeDelimited",
                                "schema": {"type": "array"},
                            },
                            {
                                "name": "q",
                                "in": "query",
                                "style": "form",
                                "explode": True,
                                "schema": {"type": "string"},
                            },
                        ],
                        "responses": {"200": {"description": "ok"}},
                    },
                }
            },
        },
        diagnostics,
    )
    messages = [w.message for w in diagnostics.warnings]
    assert any("'ids'" in m and "pipeDelimited" in m for m in messages)
    assert not any("'q'" in m for m in messages)
    assert any("servers" in m for m in messages)
