"""What a logged read was, in the reader's language.

The access log stores a short, stable English tag per read (``engine.access`` callers:
"case detail", "inbox team", "refused: case detail", …): the hash chain covers it, so it never
changes. The privacy officer reads it in Dutch; this table turns a tag into a label, keeping
what follows the tag (the queue, the search) as it is. An unknown tag is shown unchanged.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from engine.access import REFUSED

#: Tag (or the start of one) -> label; longer tags first where one starts another.
LABELS = (
    ("api case detail", _l("API: casusdetail")),
    ("api case list", _l("API: casuslijst")),
    ("case detail", _l("Casusdetail")),
    ("case list", _l("Casuslijst")),
    ("task page", _l("Taakpagina")),
    ("task referral package", _l("Verwijspakket bij een taak")),
    ("own referral package", _l("Eigen verwijspakket")),
    ("referral package correction", _l("Correctie verwijspakket")),
    ("referral packages", _l("Verwijspakketten")),
    ("portal recent cases", _l("Portaal: recente casussen")),
    ("portal open tasks", _l("Portaal: openstaande taken")),
    ("inbox", _l("Werkvoorraad")),
    ("break-glass granted", _l("Break-glass verleend")),
    ("break-glass", _l("Break-glass")),
    ("instance read", _l("Procesinstantie")),
    ("instance list", _l("Lijst procesinstanties")),
    ("instance retry", _l("Procesinstantie opnieuw uitvoeren")),
    ("access log search", _l("Zoekvraag in het inzagelog")),
    ("access log pattern", _l("Patroon in het inzagelog")),
    ("access log export", _l("Export van het inzagelog")),
    ("message", _l("Bericht")),
)


def access_what(tag: str) -> str:
    """The label of a logged read's tag, e.g. "refused: case detail" -> "Geweigerd:
    Casusdetail" and "inbox team" -> "Werkvoorraad team"."""
    if tag.startswith(REFUSED):
        return f"{_l('Geweigerd')}: {access_what(tag[len(REFUSED):])}"
    for start, label in LABELS:
        if tag == start or tag.startswith(start + " "):
            rest = tag[len(start):].strip()
            return f"{label} {rest}" if rest and rest != "-" else str(label)
    return tag
