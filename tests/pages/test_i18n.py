"""Every text the pages show has an English translation; Dutch formats for dates and money."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2] / "webui"


def test_every_ui_text_has_an_english_translation():
    with (ROOT / "translations/en/LC_MESSAGES/messages.po").open("rb") as source:
        catalogue = read_po(source)
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    missing = []
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, keywords={"_": None, "_l": None, "gettext": None,
                                             "ngettext": (1, 2)}):
        key = message[0] if isinstance(message, tuple) else message
        entry = catalogue.get(key)
        if entry is None or not entry.string or entry.string == ("", ""):
            missing.append(key)
    assert not missing, missing


def test_a_logged_read_is_labelled_in_the_readers_language(ctx):
    from webui import create_app
    from webui.access_labels import access_what

    app = create_app({"TESTING": True, "SECRET_KEY": "x"}, ctx=ctx)
    with app.test_request_context("/"):
        assert access_what("refused: case detail") == "Geweigerd: Casusdetail"
        assert access_what("inbox team") == "Werkvoorraad team"
        assert access_what("access log search -") == "Zoekvraag in het inzagelog"
        assert access_what("something new") == "something new"
    with app.test_request_context("/?lang=en"):
        assert access_what("refused: case detail") == "Refused: Case detail"
        assert access_what("break-glass granted") == "Break-glass granted"


def _formats_app(ctx):
    from webui import create_app

    return create_app({"TESTING": True, "SECRET_KEY": "x"}, ctx=ctx)


MOMENTS = [datetime(2026, 1, 5, 9, 7, tzinfo=UTC),
           datetime(2026, 3, 29, 0, 59, tzinfo=UTC),     # the night summer time starts
           datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
           datetime(2026, 10, 25, 0, 30, tzinfo=UTC),    # ... and ends
           datetime(2026, 12, 31, 23, 30, tzinfo=UTC),   # already new year's day in Dordrecht
           datetime(2026, 6, 15, 12, 0)]                 # naive: UTC, as Babel takes it
AMOUNTS = [0, 7, 812.5, 1234.5, -1234.5, 1_000_000, Decimal("12.345"), Decimal("12.355"),
           0.125, Decimal("-12.345"), Decimal("999999.995")]


def test_dates_and_amounts_are_written_as_babel_writes_them(ctx):
    """Our own formatting (no CLDR data loaded) gives Babel's text, in both languages."""
    from babel.dates import format_date, format_datetime
    from babel.numbers import format_currency

    from webui.i18n import ZONE, fmt_date, fmt_datetime, fmt_money

    app = _formats_app(ctx)
    days = [date(2026, month, day) for month in range(1, 13) for day in (1, 28)]
    for language, money_locale in (("nl", "nl_NL"), ("en", "en_GB")):
        with app.test_request_context(f"/?lang={language}"):
            for day in days:
                assert fmt_date(day) == format_date(day, "d MMM yyyy", locale=language)
                assert fmt_date(day.isoformat()) == fmt_date(day)
            for moment in MOMENTS:
                assert fmt_date(moment) == format_datetime(moment, "d MMM yyyy", tzinfo=ZONE,
                                                           locale=language)
                assert fmt_datetime(moment) == format_datetime(
                    moment, "d MMM yyyy HH:mm", tzinfo=ZONE, locale=language)
            for amount in AMOUNTS:
                assert fmt_money(amount) == format_currency(amount, "EUR", locale=money_locale)
            assert fmt_date(None) == fmt_date("") == fmt_datetime(None) == fmt_money(None) == ""
    with app.test_request_context("/"):
        assert fmt_datetime(MOMENTS[4]) == "1 jan 2027 00:30"
        assert fmt_money(1234.5) == "€\xa01.234,50"
        # where Babel writes "€ -0,00" (less than half a cent below zero), a cent is a cent
        assert fmt_money(Decimal("-0.001")) == "€\xa00,00"


def test_the_pages_formats_never_load_babels_language_data(ctx, monkeypatch):
    """Babel's CLDR data is about 6 MiB per web worker (nl, en, nl_NL, en_GB); the pages'
    formats must not pull it in, whatever else loaded it before in this process."""
    from babel.core import Locale

    from webui.i18n import fmt_date, fmt_datetime, fmt_money, fmt_working_days

    def refuse(_locale):
        raise AssertionError("Babel's locale data was read")

    monkeypatch.setattr(Locale, "_data", property(refuse))
    app = _formats_app(ctx)
    for language in ("nl", "en"):
        with app.test_request_context(f"/?lang={language}"):
            assert fmt_date(date(2026, 5, 1)) and fmt_datetime(MOMENTS[0])
            assert fmt_money(812.5) and fmt_working_days(5) and fmt_working_days(-1)
