"""Every answer carries the security headers; nothing with personal data may be cached; the
templates stay within what the Content-Security-Policy allows."""

from __future__ import annotations

import re
from pathlib import Path

from tests.factories import make_user
from tests.webclient import bearer, login
from webui.security_headers import HEADERS

TEMPLATES = Path(__file__).resolve().parents[2] / "webui" / "templates"


def _assert_secured(response, *, cached_ok: bool = False) -> None:
    headers = response.headers
    for name in HEADERS:  # each exactly once: a second, looser copy would undo the first
        assert len(headers.getlist(name)) == 1, (name, headers.getlist(name))
    csp = headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin")
    if not cached_ok:
        assert headers["Cache-Control"] == "no-store"


def test_pages_and_api_answers_carry_the_headers_and_are_never_stored(ctx, app, client):
    make_user(ctx, "anna")
    signed_in = login(app, "anna")
    answers = [
        client.get("/login"),
        client.get("/inbox"),  # the redirect to the login page
        client.get("/nergens"),  # 404 page
        client.get("/api/v1/cases"),  # 401 problem
        signed_in.get("/inbox"),
        signed_in.get("/cases"),
        signed_in.get("/api/v1/cases"),
        app.test_client().get("/api/v1/cases", headers=bearer(ctx, username="anna")),
        signed_in.post("/logout", headers={"Sec-Fetch-Site": "cross-site"}),  # refused, 403
    ]
    assert [a.status_code for a in answers] == [200, 303, 404, 401, 200, 200, 200, 200, 403]
    for answer in answers:
        _assert_secured(answer)


def test_static_files_may_be_cached_but_still_carry_the_headers(client):
    with client.get("/static/css/app.css") as answer:
        assert answer.status_code == 200
        _assert_secured(answer, cached_ok=True)
        assert "no-store" not in answer.headers.get("Cache-Control", "")


def test_templates_use_no_inline_script_style_or_handler():
    """The policy allows scripts and styles only from our own files; anything inline would
    silently stop working in the browser. A JSON data block (``type="application/json"``, the
    cockpit's chart data) is not run, so the policy leaves it alone."""
    offenders = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = template.read_text()
        for pattern in (r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>",
                        r"<style\b", r"\sstyle=",
                        r"\son[a-z]+\s*=", r"javascript:", r"\shx-on"):
            offenders += [f"{template.name}: {m.group(0)}" for m in re.finditer(pattern, text)]
    assert offenders == []

