"""Migrations build exactly the models' schema; the audit chain detects tampering."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from harmony_portal.db import make_engine
from harmony_portal.server.migrations import include_object, upgrade
from harmony_portal.services.audit import trail as audit


def test_migrations_match_the_models_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path}/m.db"
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"include_object": include_object}),
                                SQLModel.metadata)
    assert diff == []


def _search_column(engine) -> tuple[str, str]:
    """PostgreSQL's stored search column (its generation expression) and its index's definition."""
    with engine.connect() as conn:
        expression = conn.execute(text(
            "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a "
            "ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
            "WHERE d.adrelid = 'pq'::regclass AND a.attname = 'search_vector'")).scalar_one()
        index = conn.execute(text(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_pq_search_vector'")).scalar_one()
    return expression, index


def test_migrations_match_the_models_on_postgresql(pg_database_url):
    fresh = pg_database_url + "_mig"
    admin = make_engine(pg_database_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{fresh.rsplit("/", 1)[1]}"'))
    try:
        upgrade(fresh)
        engine = make_engine(fresh)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"include_object": include_object}),
                                SQLModel.metadata)
        migrated = _search_column(engine)
        engine.dispose()
        assert diff == []
        # The one thing the comparison leaves out: the same column and index as a schema made from the models.
        assert migrated == _search_column(admin) and "to_tsvector('english'" in migrated[0]
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{fresh.rsplit("/", 1)[1]}" WITH (FORCE)'))
        admin.dispose()


def test_audit_chain_detects_an_edited_row(session):
    for n in range(3):
        audit.record(session, "test.event", target=f"t{n}")
    assert audit.verify_chain(session) is None
    second = session.exec(text("select id from auditevent order by id limit 1 offset 1")).one()[0]
    session.exec(text("update auditevent set target = 'tampered' where id = :i").bindparams(i=second))
    session.expire_all()
    assert audit.verify_chain(session) == second


def test_audit_refuses_secret_fields(session):
    with pytest.raises(ValueError):
        audit.record(session, "bad", password="hunter2")


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)  # SQLite enforces no lengths or types
def test_a_value_the_database_refuses_becomes_a_sentence(engine, monkeypatch):
    """A DataError never reaches a user: session_scope turns it into a refusal and rolls back."""
    from sqlalchemy import text

    from harmony_portal import db as db_module
    from harmony_portal.services.errors import Refused

    monkeypatch.setattr(db_module, "get_engine", lambda: engine)
    with pytest.raises(Refused, match="too long"), db_module.session_scope() as session:
        session.execute(text("SELECT CAST('not a number' AS integer)"))
