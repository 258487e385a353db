"""A table-by-table JSON dump, for PostgreSQL servers without a suitable pg_dump.

One file per table, ``tables/<table>.jsonl``: a first line with the column names,
then one JSON array per row, rows in primary-key order and tables in foreign-key
order (so the same data always gives the same files). Values JSON can't carry are
tagged: ``{"dt": iso}`` datetime, ``{"d": iso}`` date, ``{"tm": iso}`` time,
``{"b64": ...}`` bytes, ``{"dec": "1.50"}`` decimal, ``{"uuid": ...}``, and
``{"json": ...}`` for JSON column values, so decoding never guesses.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import MetaData, select
from sqlalchemy.engine import Connection

from harmony_portal.backup.common import ALEMBIC_TABLE, TABLES_DIR, BackupError

_BATCH = 500


def _encode(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, time):
        return {"tm": value.isoformat()}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"b64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    if isinstance(value, uuid.UUID):
        return {"uuid": str(value)}
    if isinstance(value, dict | list):
        return {"json": value}
    raise BackupError(f"a value of type {type(value).__name__} can't be written to the JSON dump")


_DECODERS = {"dt": datetime.fromisoformat, "d": date.fromisoformat, "tm": time.fromisoformat,
             "b64": base64.b64decode, "dec": Decimal, "uuid": uuid.UUID, "json": lambda v: v}


def _decode(value):
    if isinstance(value, dict):
        [(tag, raw)] = value.items()
        return _DECODERS[tag](raw)
    return value


def _reflected(conn: Connection) -> MetaData:
    metadata = MetaData()
    metadata.reflect(bind=conn)
    return metadata


def dump_tables(conn: Connection, folder: Path) -> list[str]:
    """Write every table as it is in ``conn``'s transaction; returns the files, relative to ``folder``."""
    target = folder / TABLES_DIR
    target.mkdir(mode=0o700)
    written = []
    for table in _reflected(conn).sorted_tables:
        # Generated columns (the PQ search vector) are the database's to compute again on restore.
        stored = [c for c in table.columns if c.computed is None]
        order = list(table.primary_key.columns) or stored
        relative = f"{TABLES_DIR}/{table.name}.jsonl"
        fd = os.open(folder / relative, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(json.dumps({"table": table.name, "columns": [c.name for c in stored]}) + "\n")
            for row in conn.execute(select(*stored).order_by(*order)):
                out.write(json.dumps([_encode(v) for v in row], separators=(",", ":")) + "\n")
        written.append(relative)
    return written


def _rows(path: Path) -> tuple[list[str], Iterator[list]]:
    handle = open(path)  # noqa: SIM115 - closed by the generator below
    header = json.loads(handle.readline())

    def rows():
        with handle:
            for line in handle:
                yield [_decode(v) for v in json.loads(line)]

    return header["columns"], rows()


def load_tables(conn: Connection, folder: Path) -> None:
    """Fill the tables of ``conn``'s schema (already at the dump's revision) from the dump."""
    metadata = _reflected(conn)
    tables = [t for t in metadata.sorted_tables if t.name != ALEMBIC_TABLE]
    for table in reversed(tables):  # children first: anything a migration put there gives way
        conn.execute(table.delete())
    for table in tables:
        path = folder / TABLES_DIR / f"{table.name}.jsonl"
        if not path.exists():
            raise BackupError(f"the dump has no file for table {table.name}: it is from another schema")
        columns, rows = _rows(path)
        batch = []
        for row in rows:
            batch.append(dict(zip(columns, row, strict=True)))
            if len(batch) == _BATCH:
                conn.execute(table.insert(), batch)
                batch = []
        if batch:
            conn.execute(table.insert(), batch)
