"""Language and formats: Dutch by default, English via ``?lang=en`` (kept in the session).

Texts are written in Dutch in the templates (``_("...")``); the English catalogue is
``translations/en/LC_MESSAGES/messages.po``, compiled to ``.mo`` when missing or older (at
install, or at the first start). Dates, amounts and working days are formatted with Babel in
the chosen language, times in Europe/Amsterdam.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency
from flask import Flask, request, session
from flask_babel import Babel, get_locale, gettext, ngettext

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


def fmt_date(value: date | datetime | str | None, style: str = "d MMM yyyy") -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return format_datetime(value, style, tzinfo=ZONE, locale=lang())
    return format_date(value, style, locale=lang())


def fmt_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_datetime(value, "d MMM yyyy HH:mm", tzinfo=ZONE, locale=lang())


def fmt_money(value: Decimal | float | int | None) -> str:
    if value is None:
        return ""
    return format_currency(value, "EUR", locale="nl_NL" if lang() == "nl" else "en_GB")


def fmt_working_days(left: int | None) -> str:
    if left is None:
        return ""
    if left < 0:
        return str(ngettext("%(num)d werkdag te laat", "%(num)d werkdagen te laat", -left))
    if left == 0:
        return str(gettext("vandaag"))
    return str(ngettext("nog %(num)d werkdag", "nog %(num)d werkdagen", left))


def init_app(app: Flask) -> None:
    compile_catalogues()
    Babel(app, default_locale="nl", default_timezone=TIMEZONE, locale_selector=select_locale,
          default_translation_directories=str(TRANSLATIONS))
    filters: dict[str, Any] = {"nl_date": fmt_date, "nl_datetime": fmt_datetime,
                               "money": fmt_money, "working_days": fmt_working_days}
    app.jinja_env.filters.update(filters)
    app.jinja_env.globals.update(pick=pick, lang=lang)
