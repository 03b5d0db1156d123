"""The national outcome of a case (DDAS ``EnumEindresultaat``) and what the corporation learns.

Which result a closure gets is the process owner's rule (``processes/case_closure/
national_result.dmn``); this module holds what is not a rule of the process: the national code
list itself, verbatim from the exchange specification (``ddas/json_schema_Uitwisselmodel.json``,
``$defs.EnumEindresultaat``, v0.9), and the generic outcome a corporation may learn from it
(domain.md §1.4 and §6: never the reason behind "not picked up", never care details). The case
read model and the team lead's correction both derive the corporation's outcome from here, so
the two can never disagree.
"""

from __future__ import annotations

#: DDAS v0.9 ``EnumEindresultaat``, in the order of the specification.
EINDRESULTATEN: tuple[str, ...] = (
    "Niet opgepakt: herhaalde melding",
    "Niet opgepakt: onterecht signaal",
    "Inwoner is overleden",
    "Persoon is geen inwoner (meer) in de gemeente",
    "Niet opgepakt: andere reden",
    "Inwoner al bekend bij schuldhulpverlening",
    "Inwoner heeft al een ander lopend traject",
    "Definitief geen contact kunnen krijgen",
    "Geen reactie na eerder contact",
    "Inwoner hoeft geen hulp vanuit vroegsignalering",
    "Inwoner heeft zelf al betaald/betalingsregeling getroffen",
    "(Budget)advies en/of quick fix",
    "Vervolghulp en/of verwijzing financieel",
    "Verwijzing zonder contact",
    "Vervolghulp en/of verwijzing niet financieel",
)

#: National result -> the generic outcome the corporation may see (``cases.OUTCOME_LABELS``).
#: Many to one, and deliberately lossy: "not picked up" keeps its reason only for a repeated
#: signal (the corporation sent it twice), a referral never says where to, and a death, another
#: trajectory or a referral without contact all read "Afgesloten".
CORPORATION_OUTCOMES: dict[str, str] = {
    "Niet opgepakt: herhaalde melding": "Niet opgepakt: herhaalde melding",
    "Niet opgepakt: onterecht signaal": "Niet opgepakt",
    "Niet opgepakt: andere reden": "Niet opgepakt",
    "Inwoner is overleden": "Afgesloten",
    "Persoon is geen inwoner (meer) in de gemeente": "Afgesloten: verhuisd",
    "Inwoner al bekend bij schuldhulpverlening": "Afgesloten: hulp geaccepteerd",
    "Inwoner heeft al een ander lopend traject": "Afgesloten",
    "Definitief geen contact kunnen krijgen": "Afgesloten: geen contact",
    "Geen reactie na eerder contact": "Afgesloten: geen contact",
    "Inwoner hoeft geen hulp vanuit vroegsignalering": "Afgesloten: geen hulp gewenst",
    "Inwoner heeft zelf al betaald/betalingsregeling getroffen":
        "Afgesloten: achterstand ingelopen",
    "(Budget)advies en/of quick fix": "Afgesloten: hulp geaccepteerd",
    "Vervolghulp en/of verwijzing financieel": "Afgesloten: hulp geaccepteerd",
    "Verwijzing zonder contact": "Afgesloten",
    "Vervolghulp en/of verwijzing niet financieel": "Afgesloten: hulp geaccepteerd",
}


def corporation_outcome(result: str | None) -> str | None:
    """The generic outcome a corporation may learn from a national result (None: none yet)."""
    if result is None:
        return None
    return CORPORATION_OUTCOMES.get(str(result))


def is_national_result(value: object) -> bool:
    return isinstance(value, str) and value in EINDRESULTATEN
