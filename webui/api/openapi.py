"""GET /api/v1/openapi.json, built from the declared routes and their schemas."""

from __future__ import annotations

from typing import Any

from webui.api.routing import ROUTES, route

PROBLEM = {
    "type": "object",
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}


@route("/openapi.json", "GET", "This description", auth=False)
def openapi() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for doc in ROUTES:
        operation: dict[str, Any] = {
            "summary": doc.summary,
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {
                    "schema": doc.response_schema or {"type": "object"}}}},
                "default": {"description": "Problem",
                            "content": {"application/problem+json": {"schema": PROBLEM}}},
            },
        }
        parameters = [{"name": part[1:-1], "in": "path", "required": True,
                       "schema": {"type": "string"}}
                      for part in doc.path.split("/") if part.startswith("{")]
        parameters += [{"in": "query", **q} for q in doc.query]
        if parameters:
            operation["parameters"] = parameters
        if doc.request_schema:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": doc.request_schema}}}
        if doc.auth:
            operation["security"] = [{"bearer": []}]
        paths.setdefault("/api/v1" + doc.path, {})[doc.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Ketenflow API", "version": "1"},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": paths,
    }
