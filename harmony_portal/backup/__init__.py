"""`harmony-portal backup` and `restore`: the database and the attachment store, together.

A backup folder holds the database (PostgreSQL: ``pg_dump`` custom format, or a
table-by-table JSON dump where no suitable ``pg_dump`` is installed; SQLite: a copy
made with SQLite's online backup API), the encrypted attachment files the database
refers to, and ``manifest.json`` (schema revision, time, row counts, SHA-256 of every
file), written last and signed with a key derived from HARMONY_SECRET_KEY.

The two halves are consistent: the row counts and the list of files come from the
same snapshot as the database copy, and a file is always stored before the row that
names it commits, so every attachment in the copy has its file. Attachments are
copied still encrypted: a restore needs the same HARMONY_SECRET_KEY.
"""

from harmony_portal.backup.common import BackupError
from harmony_portal.backup.make import make_backup
from harmony_portal.backup.restore import restore_backup

__all__ = ["BackupError", "make_backup", "restore_backup"]
