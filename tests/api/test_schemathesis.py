"""A bounded schemathesis run against /api/v1/openapi.json: no request, valid or not, from any
role gets a server error (issue 8, item 9).

Requests generated from the published schema (bodies, path and query parameters, and their
deliberately wrong twins) are sent in-process to the app from the fixtures, with the tokens of
a corporation's machine client, a social-team worker, a process owner and an administrator. The
run is derandomized and bounded (``EXAMPLES`` per operation and mode), so it is the same on
every machine and takes seconds.
"""

from __future__ import annotations

import logging
import os

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from tests.casework import corporation, deploy_chain, report
from tests.factories import make_user
from tests.webclient import bearer

#: Examples per operation and generation mode (positive and negative); raise it locally for a
#: deeper run, e.g. KETENFLOW_SCHEMATHESIS_EXAMPLES=500.
EXAMPLES = int(os.environ.get("KETENFLOW_SCHEMATHESIS_EXAMPLES", "25"))


def _tokens(ctx):
    make_user(ctx, "anna", "social_team", "dordrecht")
    make_user(ctx, "olga", "process_owner", "regio")
    make_user(ctx, "root", "admin", "regio")
    return {"corporation machine": bearer(ctx, org="woonbron"),
            "social_team": bearer(ctx, username="anna"),
            "process_owner": bearer(ctx, username="olga"),
            "admin": bearer(ctx, username="root")}


def test_no_generated_request_gets_a_server_error(ctx, app, caplog):
    deploy_chain(ctx)
    report(ctx, corporation(ctx))  # a case, a task and an instance to find
    tokens = _tokens(ctx)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    operations = 0
    caplog.set_level(logging.ERROR, logger=app.logger.name)

    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):

            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode),
                   role=st.sampled_from(sorted(tokens)))
            def send(case, role):
                caplog.clear()
                response = case.call(headers=tokens[role])
                if response.status_code >= 500:
                    logged = "\n".join(r.getMessage() + "\n" + (r.exc_text or "")
                                       for r in caplog.records)
                    failures.append(f"{response.status_code} for {role}: "
                                    f"{case.as_curl_command(headers=tokens[role])}\n{logged}")

            try:
                send()
            except Unsatisfiable:  # nothing to get wrong (no parameters, no body)
                assert mode == schemathesis.GenerationMode.NEGATIVE, operation.label

    assert operations >= 15, "the schema lists every operation"
    assert not failures, "\n\n".join(failures[:10])
