"""The kinds of contact attempt: the national list, and the values the chain used before it.

Attempt forms (``processes/outreach/forms/record_*contact_attempt.json``) offer exactly the
values of DDAS ``EnumContactsoort`` (VNG Realisatie, DDAS Vroegsignalering v0.9,
``json_schema_Uitwisselmodel.json``), so an attempt is stored as the national code itself.
Attempts recorded before that (issue 10) hold the chain's own English codes; ``national_kind``
reads both, for an export or a count that spans the change.
"""

from __future__ import annotations

#: DDAS ``EnumContactsoort``, in the order of the national schema.
NATIONAL: tuple[str, ...] = ("Mail", "Brief", "SMS/Whatsapp", "Telefoon", "Huisbezoek",
                             "Kaartje", "Overige", "Administratief")

#: The chain's codes before issue 10, each with its national value.
LEGACY: dict[str, str] = {"email": "Mail", "letter": "Brief", "sms_whatsapp": "SMS/Whatsapp",
                          "phone": "Telefoon", "home_visit": "Huisbezoek",
                          "card_at_door": "Kaartje", "other": "Overige"}

#: The kinds that reach the door: "geen contact" needs at least one of them first.
AT_THE_DOOR: frozenset[str] = frozenset({"Huisbezoek", "Kaartje"})


def national_kind(value: object) -> str | None:
    """The ``EnumContactsoort`` value of a stored attempt kind (national or legacy); None
    for anything else."""
    if not isinstance(value, str):
        return None
    if value in NATIONAL:
        return value
    return LEGACY.get(value)
