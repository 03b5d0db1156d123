"""Deployments: upload a bundle (multipart files or JSON), list versions."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import request

from engine import deployments
from engine.access import may_deploy
from engine.bundles import BundleFile
from engine.errors import InvalidInput, NotAllowed
from engine.views import as_dict
from webui.api.routing import current_actor, route
from webui.db import engine_context, get_session
from webui.input_guard import json_body


@route("/deployments", "GET", "Deployed versions, newest first")
def list_deployments() -> dict[str, Any]:
    if not may_deploy(current_actor()):
        raise NotAllowed("only process owners see deployments")
    return {"items": as_dict(deployments.list_deployments(get_session())), "next": None}


@route("/deployments", "POST", "Validate and deploy a bundle (multipart files, or JSON "
       "{files: [{name, content_base64}]})")
def create_deployment() -> tuple[dict[str, Any], int]:
    files = _files_from_request()
    view = deployments.deploy(engine_context(), get_session(), current_actor(), files)
    return as_dict(view), 201 if view.new else 200


def _files_from_request() -> list[BundleFile]:
    if request.files:
        return [BundleFile(f.filename or name, f.read())
                for name, f in request.files.items(multi=True)]
    body = json_body()
    if not isinstance(body, dict) or not isinstance(body.get("files"), list):
        raise InvalidInput({"files": "upload files as multipart/form-data, or send JSON "
                                     "{\"files\": [{\"name\", \"content_base64\"}]}"})
    result = []
    for i, item in enumerate(body["files"]):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise InvalidInput({f"files/{i}/name": "is required"})
        try:
            content = base64.b64decode(str(item.get("content_base64", "")), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput({f"files/{i}/content_base64": "is not valid base64"}) from None
        result.append(BundleFile(item["name"], content))
    return result
