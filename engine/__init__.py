"""Ketenflow's engine: SpiffWorkflow plus persistence, scripts, messages and timers.

No Flask here (a test enforces it). Callers use the service modules (``deployments``,
``instances``, ``tasks``, ``messages``, ``timers``, ``users``) with an ``EngineContext`` and a
SQLAlchemy session they own; engine functions flush but never commit. This package file stays
import-light on purpose: the script sandbox process imports ``engine.sandbox.script_host`` and must
not pay for SQLAlchemy or SpiffWorkflow.
"""
