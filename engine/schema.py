"""Creating and upgrading the database schema with Alembic (``ketenflow init``).

Alembic is imported when a schema is made, not with this module: a web worker imports it
through the deploy gate (``engine.gate``), and Alembic brings Mako and Pygments along: 9 MB
of a worker's resident memory (87 → 78 MB after ``create_app``) that it needs only when a
process owner's deployment is tried on a scratch database.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(db: Engine) -> None:
    """Bring the database to the newest schema revision."""
    from alembic import command

    config = alembic_config(db.url.render_as_string(hide_password=False))
    with db.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
