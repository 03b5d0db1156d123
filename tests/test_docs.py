"""Every configuration key is documented in the README."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from engine.settings import EngineSettings
from webui.config import DEFAULTS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_engine_setting_is_in_the_readme() -> None:
    missing = [f.name for f in dataclasses.fields(EngineSettings)
               if f"KETENFLOW_{f.name.upper()}" not in README]
    assert missing == []


def test_every_web_setting_is_in_the_readme() -> None:
    documented = {"SECRET_KEY", "SESSION_COOKIE_SECURE", "MAX_CONTENT_LENGTH", "WEB_WORKERS",
                  "METRICS_TOKEN"}
    assert all(f"KETENFLOW_{key}" in README for key in documented)
    assert documented <= set(DEFAULTS)


def test_readme_names_the_two_commands() -> None:
    assert "make run" in README and "make test" in README
