"""Every diagram of the malicious corpus (``tests/malicious_corpus.py``) deployed through the
API is a 422 problem document naming the file and the element (or, for a file refused before it
is read as BPMN, the file and the line), never a 500 or a stack trace."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from engine.context import EngineContext
from tests.malicious_corpus import corpus

NAMES = [d.name for d in corpus(1)]


@pytest.mark.parametrize("name", NAMES)
def test_each_corpus_diagram_is_refused_by_the_deploy_api(api_as: Any, ctx: EngineContext,
                                                          name: str) -> None:
    diagram = next(d for d in corpus(ctx.settings.max_file_bytes) if d.name == name)
    owner = api_as("po", "process_owner", "regio")
    files = [(diagram.file, diagram.content), *diagram.companions]
    body = {"files": [{"name": n, "content_base64": base64.b64encode(c).decode()}
                      for n, c in files]}
    response = owner.post("/api/v1/deployments", body)
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json"
    problem = response.json["errors"][0]
    assert problem["file"] == diagram.file
    if diagram.element is None:
        assert problem["line"] is not None or "limit" in problem["message"]
    else:
        assert problem["element"] == diagram.element
    assert "Traceback" not in response.get_data(as_text=True)
    assert owner.get("/api/v1/deployments").json["items"] == []  # nothing half-deployed
