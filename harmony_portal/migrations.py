"""Apply Alembic migrations from code (start-up, CLI and tests use this)."""

from __future__ import annotations

from alembic.config import Config

from alembic import command
from harmony_portal.models.pq import PQ_SEARCH_VECTOR, PQ_SEARCH_VECTOR_INDEX
from harmony_portal.settings import PROJECT_ROOT

# Schema the models don't describe on purpose: PostgreSQL's stored search column and its index
# (models/pq.py makes them with DDL). Comparisons and autogenerate leave them be.
_OUTSIDE_THE_MODELS = {("column", PQ_SEARCH_VECTOR), ("index", PQ_SEARCH_VECTOR_INDEX)}


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's ``include_object`` hook: skip what exists only outside the models."""
    table = getattr(obj, "table", None)
    return not (reflected and (type_, name) in _OUTSIDE_THE_MODELS and getattr(table, "name", None) == "pq")


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    if url:
        config.attributes["url"] = url
    return config


def upgrade(url: str | None = None) -> None:
    """Bring the database at ``url`` (default: DATABASE_URL) to the newest schema."""
    command.upgrade(alembic_config(url), "head")
