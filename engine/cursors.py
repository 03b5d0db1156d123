"""Reading the paging cursors and numeric ids that clients send back, in one place.

A cursor is opaque to clients but comes back as text anyone can edit: a number beyond 64 bits,
a moment without a time zone or a digit like ``²`` (``str.isdigit`` says yes, ``int`` says no)
must be a clear ``InvalidInput`` naming ``cursor``, never a database error.
"""

from __future__ import annotations

import re
from datetime import datetime

from engine.errors import InvalidInput

#: The largest id a 64-bit (signed) column holds.
MAX_ID = 2**63 - 1
_ID = re.compile(r"[0-9]{1,19}")
#: Task ids are SpiffWorkflow UUIDs (36 characters); nothing longer is stored.
MAX_KEY_LENGTH = 36


def parse_id(text: str | None) -> int | None:
    """A positive 64-bit id written in ASCII digits, or None for anything else."""
    if text is None or not _ID.fullmatch(text):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def invalid_cursor() -> InvalidInput:
    return InvalidInput({"cursor": "is geen geldige cursor"})


def cursor_id(text: str) -> int:
    """The id of an ``<id>`` cursor."""
    value = parse_id(text)
    if value is None:
        raise invalid_cursor()
    return value


def cursor_moment(text: str) -> datetime:
    """The moment of a cursor: ISO 8601 with a time zone (as every cursor we hand out has)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise invalid_cursor() from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise invalid_cursor()
    return moment


def moment_and_id(cursor: str) -> tuple[datetime, int]:
    """A ``<moment>|<id>`` cursor."""
    moment, _, last_id = cursor.partition("|")
    return cursor_moment(moment), cursor_id(last_id)


def cursor_key(text: str) -> str:
    """A text key (a task id) of a cursor: short, and only letters, digits and dashes."""
    if len(text) > MAX_KEY_LENGTH or not re.fullmatch(r"[A-Za-z0-9-]*", text):
        raise invalid_cursor()
    return text
