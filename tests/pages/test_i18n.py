"""Every text the pages show has an English translation; Dutch formats for dates and money."""

from __future__ import annotations

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
