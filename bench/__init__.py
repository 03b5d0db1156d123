"""Ketenflow's benchmark: the "Assess and Advise" comparison workload (``make bench``).

Measures, in one run on this machine, plain SpiffWorkflow (the physical limit), Ketenflow through
the engine's service functions, and Ketenflow through the HTTP API served by gunicorn, on
SQLite and (when ``KETENFLOW_BENCH_PG_URL`` is set) PostgreSQL. See ``bench/run.py``.
"""
