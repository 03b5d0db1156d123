"""Which Drechtsteden municipality a tenant's address belongs to.

Ranges are PostNL four-digit postcode areas ("PC4") as published for each municipality:

============================  ===========  ======  =================================
municipality (slug)           PC4 range    prefix  places (woonplaatsen)
============================  ===========  ======  =================================
``dordrecht``                 3300-3329    DR      Dordrecht, Dubbeldam
``zwijndrecht``               3330-3339    ZW      Zwijndrecht, Heerjansdam, Groote Lindt,
                                                   Kijfhoek
``hendrik-ido-ambacht``       3340-3344    HIA     Hendrik-Ido-Ambacht
``papendrecht``               3350-3356    PD      Papendrecht
``sliedrecht``                3360-3364    SL      Sliedrecht
``alblasserdam``              2950-2954    AD      Alblasserdam
============================  ===========  ======  =================================

3300-3310 and 3330 are post-office-box areas; they are kept in the ranges so a correspondence
address still lands in the right municipality. The place name decides first when it is a known
place of the region: it is what the corporation's tenant administration holds, and it settles
the villages whose postcodes sit at the edge of a neighbour's range (Heerjansdam belongs to
Zwijndrecht since 2003). Without a known place, the postcode decides. An address that matches
neither lies outside the region and is refused. The list of member municipalities is
configurable (``EngineSettings.municipalities``); a slug not in it is never returned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Municipality:
    slug: str
    name: str
    prefix: str
    ranges: tuple[tuple[int, int], ...]
    places: tuple[str, ...]
    #: the four-digit municipality code of CBS (``gemeentecode`` of the DDAS delivery; the
    #: code of the Gemeentelijke indeling, GM0505 for Dordrecht)
    cbs_code: str = ""


MUNICIPALITIES: tuple[Municipality, ...] = (
    Municipality("dordrecht", "Dordrecht", "DR", ((3300, 3329),), ("dordrecht", "dubbeldam"),
                 "0505"),
    Municipality("zwijndrecht", "Zwijndrecht", "ZW", ((3330, 3339),),
                 ("zwijndrecht", "heerjansdam", "groote lindt", "kijfhoek"), "0642"),
    Municipality("hendrik-ido-ambacht", "Hendrik-Ido-Ambacht", "HIA", ((3340, 3344),),
                 ("hendrik-ido-ambacht", "hendrik ido ambacht", "h.i. ambacht",
                  "h-i-ambacht"), "0531"),
    Municipality("papendrecht", "Papendrecht", "PD", ((3350, 3356),), ("papendrecht",),
                 "0590"),
    Municipality("sliedrecht", "Sliedrecht", "SL", ((3360, 3364),), ("sliedrecht",),
                 "0610"),
    Municipality("alblasserdam", "Alblasserdam", "AD", ((2950, 2954),), ("alblasserdam",),
                 "0482"),
)
BY_SLUG = {m.slug: m for m in MUNICIPALITIES}
POSTCODE = re.compile(r"^\s*([1-9][0-9]{3})\s?([A-Za-z]{2})\s*$")


def normalise_postcode(value: str) -> str | None:
    """``"3311ab"`` -> ``"3311 AB"``; None when it is not a Dutch postcode."""
    match = POSTCODE.match(value or "")
    if match is None:
        return None
    letters = match.group(2).upper()
    if letters in ("SA", "SD", "SS"):  # never issued
        return None
    return f"{match.group(1)} {letters}"


def _place_key(place: str) -> str:
    return re.sub(r"\s+", " ", place.strip().lower())


def municipality_for(postcode: str | None, place: str | None,
                     members: list[str] | None = None) -> Municipality | None:
    """The member municipality of an address, by known place name first, then by postcode."""
    allowed = [m for m in MUNICIPALITIES if members is None or m.slug in members]
    if place:
        key = _place_key(place)
        for municipality in allowed:
            if key in municipality.places:
                return municipality
    normalised = normalise_postcode(postcode or "")
    if normalised is not None:
        digits = int(normalised[:4])
        for municipality in allowed:
            if any(low <= digits <= high for low, high in municipality.ranges):
                return municipality
    return None


def name_of(slug: str) -> str:
    found = BY_SLUG.get(slug)
    return found.name if found else slug
