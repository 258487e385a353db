"""Apply Alembic migrations from code (start-up, CLI and tests use this)."""

from __future__ import annotations

from alembic.config import Config

from alembic import command
from harmony_portal.settings import PROJECT_ROOT


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    if url:
        config.attributes["url"] = url
    return config


def upgrade(url: str | None = None) -> None:
    """Bring the database at ``url`` (default: DATABASE_URL) to the newest schema."""
    command.upgrade(alembic_config(url), "head")
