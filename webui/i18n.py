"""Language and formats: Dutch by default, English via ``?lang=en`` (kept in the session).

Texts are written in Dutch in the templates (``_("...")``); the English catalogue is
``translations/en/LC_MESSAGES/messages.po``, compiled to ``.mo`` when missing or older (at
install, or at the first start). Dates and amounts are written here in the chosen language,
in the forms Babel gives for them ("5 mrt 2026", "€ 1.234,50"), times in Europe/Amsterdam:
Babel's own formatting first loads the whole CLDR data of the language, about 6 MiB in every
web worker, for twelve month names and two separators.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, request, session
from flask_babel import Babel, get_locale, get_translations, gettext, ngettext

LANGUAGES = ("nl", "en")
TRANSLATIONS = Path(__file__).parent / "translations"
TIMEZONE = "Europe/Amsterdam"
ZONE = ZoneInfo(TIMEZONE)


def compile_catalogues(directory: Path = TRANSLATIONS) -> None:
    """Compile every ``.po`` whose ``.mo`` is missing or older."""
    for po in directory.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalogue = read_po(source)
        draft = mo.with_name(f".{mo.name}.{os.getpid()}")
        with draft.open("wb") as target:
            write_mo(target, catalogue)
        draft.replace(mo)  # atomic: a process starting beside this one never reads half


def select_locale() -> str:
    wanted = request.args.get("lang")
    if wanted in LANGUAGES:
        session["lang"] = wanted
        return wanted
    stored = session.get("lang")
    return stored if stored in LANGUAGES else "nl"


def lang() -> str:
    return str(get_locale() or "nl")


def pick(nl: str | None, en: str | None) -> str:
    """The English text when English is chosen and there is one, else the Dutch."""
    if lang() == "en" and en:
        return en
    return nl or en or ""


#: CLDR's abbreviated month names ("MMM"), as Babel writes them for nl and en.
MONTHS = {"nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov",
                 "dec"),
          "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                 "Dec")}
CENT = Decimal("0.01")
_DUTCH_SEPARATORS = str.maketrans(",.", ".,")  # "1,234.50" -> "1.234,50"


def _local(value: datetime) -> datetime:
    """``value`` in Dutch time; a naive value is UTC (as Babel takes it)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZONE)


def _day(value: date, language: str) -> str:
    return f"{value.day} {MONTHS[language][value.month - 1]} {value.year:04d}"


def fmt_date(value: date | datetime | str | None) -> str:
    """"5 mrt 2026" (CLDR's "d MMM yyyy"); a moment gives its day in Dutch time."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = _local(value)
    return _day(value, lang())


def fmt_datetime(value: datetime | None) -> str:
    """"5 mrt 2026 13:00" in Dutch time (CLDR's "d MMM yyyy HH:mm")."""
    if value is None:
        return ""
    moment = _local(value)
    return f"{_day(moment, lang())} {moment.hour:02d}:{moment.minute:02d}"


def fmt_money(value: Decimal | float | int | None) -> str:
    """Euros to the cent, rounded half to even: "€ 1.234,50" in Dutch (nl_NL, a no-break
    space after the sign), "€1,234.50" in English (en_GB)."""
    if value is None:
        return ""
    amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_EVEN)
    digits = f"{abs(amount):,.2f}"
    sign = "-" if amount < 0 else ""
    if lang() == "nl":
        return f"€\xa0{sign}{digits.translate(_DUTCH_SEPARATORS)}"
    return f"{sign}€{digits}"



def fmt_working_days(left: int | None) -> str:
    if left is None:
        return ""
    if left < 0:
        return str(ngettext("%(num)d werkdag te laat", "%(num)d werkdagen te laat", -left))
    if left == 0:
        return str(gettext("vandaag"))
    return str(ngettext("nog %(num)d werkdag", "nog %(num)d werkdagen", left))


def catalogue() -> Any:
    """The request's catalogue, looked up once per request and kept beside Flask-Babel's own
    (on ``g``): Flask-Babel walks its context, domain and locale again for every text, about
    13 µs each on a shared core, and a list page has a hundred texts. Outside an app context,
    as Flask-Babel, the texts as written."""
    try:
        return g._ketenflow_catalogue
    except AttributeError:
        found = g._ketenflow_catalogue = get_translations()
        return found
    except RuntimeError:
        return get_translations()


def init_app(app: Flask) -> None:
    compile_catalogues()
    Babel(app, default_locale="nl", default_timezone=TIMEZONE, locale_selector=select_locale,
          default_translation_directories=str(TRANSLATIONS))
    # The templates' ``_()`` and ``ngettext()`` through the request's kept catalogue.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda text: catalogue().ugettext(text),
        ngettext=lambda one, many, n: catalogue().ungettext(one, many, n),
        pgettext=lambda context, text: catalogue().upgettext(context, text),
        npgettext=lambda context, one, many, n: catalogue().unpgettext(context, one, many, n),
        newstyle=True)
    filters: dict[str, Any] = {"nl_date": fmt_date, "nl_datetime": fmt_datetime,
                               "money": fmt_money, "working_days": fmt_working_days}
    app.jinja_env.filters.update(filters)
    app.jinja_env.globals.update(pick=pick, lang=lang)
