"""What the chain adds to the helpers a diagram script may call (``script_runtime``).

Pure functions only: the sandbox process imports this module by name, so nothing here may
touch the database or the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.chain.national_results import corporation_outcome

#: Name in scripts -> function. ``corporation_outcome(result)``: what the corporation may learn
#: from a national result (one table, ``national_results``, shared with the lead's correction).
SCRIPT_HELPERS: dict[str, Callable[..., Any]] = {
    "corporation_outcome": corporation_outcome,
}
