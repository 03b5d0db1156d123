"""The Content-Security-Policy breaks nothing: the pages, htmx included, run in Chromium
without a single policy violation, and a page refuses to be framed."""

from __future__ import annotations

from tests.browser.test_chain import sign_in
from tests.casework import deploy_chain, machine, report
from tests.factories import make_user

WATCH = """() => { window.__csp = [];
  document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI)); }"""


def test_pages_and_htmx_run_without_policy_violations(ctx, live_server, new_page):
    deploy_chain(ctx)
    make_user(ctx, "st-dordrecht", "social_team", "dordrecht")
    report(ctx, machine(ctx))
    page = new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.add_init_script(WATCH.removeprefix("() => {").removesuffix("}"))
    sign_in(page, live_server, "st-dordrecht")
    violations: list[str] = []
    for path in ("/inbox?queue=team", "/cases", "/inbox?queue=team&lang=en"):
        page.goto(f"{live_server}{path}")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("typeof htmx") == "object"  # the vendored script ran
        violations += page.evaluate("window.__csp")
    page.goto(f"{live_server}/inbox?queue=team&lang=nl")
    page.click("button:has-text('Oppakken')")  # an htmx swap
    page.wait_for_selector("text=Taak opgepakt")
    violations += page.evaluate("window.__csp")
    assert violations == []
    assert not [m for m in messages if "Content Security Policy" in m]


def test_a_page_cannot_be_framed(ctx, live_server, new_page):
    page = new_page()
    page.goto(f"{live_server}/login")
    page.evaluate("""url => new Promise(done => {
        const frame = document.createElement('iframe');
        frame.onload = () => done(); frame.src = url; document.body.appendChild(frame);
        setTimeout(done, 3000); })""", f"{live_server}/login")
    assert len(page.frames) == 2
    framed = page.frames[1]
    assert framed.url != f"{live_server}/login" or framed.query_selector("#username") is None
    assert page.query_selector("#username") is not None  # the page itself still works
