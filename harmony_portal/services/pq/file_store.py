"""The private attachment store: checked by content, encrypted at rest, streamed both ways.

An upload is fed to an :class:`AttachmentWriter` chunk by chunk. It counts bytes
(refusing past :data:`MAX_BYTES`), hashes the plain bytes and spools them to a
temporary file under ``HARMONY_UPLOAD_DIR`` (owner-only), so no upload ever sits
whole in memory. ``finish()`` decides what the file is by its content (never its
name), opens a PDF to count its pages, then encrypts it into the store and
removes the temporary copy.

Stored files are encrypted as ``sealed_files`` describes (AES-256-GCM in segments, under the
key their header names), so the current secret key can change without losing any of them.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

import filetype

from harmony_portal.services.errors import Invalid
from harmony_portal.services.pq import sealed_files
from harmony_portal.services.pq.sealed_files import SEGMENT_BYTES, StoreDamaged  # noqa: F401 - this store's interface too
from harmony_portal.settings import get_settings

MAX_BYTES = 10 * 1024 * 1024
MAX_NAME_LENGTH = 120
FIELD = "attachments"

_SNIFF_BYTES = 8192
_INCOMING = ".incoming"
_STORAGE_KEY = re.compile(r"[0-9a-f]{64}")
_UNSAFE_IN_NAMES = re.compile(r'[<>:"/\\|?*]')

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# The extensions each accepted type may keep; the first is given to a name without one of them.
EXTENSIONS = {PDF: (".pdf",), PNG: (".png",), JPEG: (".jpg", ".jpeg"), TIFF: (".tif", ".tiff"), DOCX: (".docx",)}


@dataclass(frozen=True)
class StoredFile:
    """What the store keeps about an accepted file (the columns of an Attachment row)."""

    filename: str
    content_type: str
    size: int
    sha256: str
    storage_key: str
    pages: int | None


def sanitize_filename(name: str) -> str:
    """A file name safe to store and to send back in a header.

    Drops any folder part (either slash), control and format characters, characters
    Windows forbids, leading dots and surrounding spaces; keeps at most
    :data:`MAX_NAME_LENGTH` characters, shortening the stem rather than the extension.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = PureWindowsPath(PurePosixPath(name.replace("\\", "/")).name).name
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = _UNSAFE_IN_NAMES.sub("_", name)
    name = " ".join(name.split()).lstrip(". ").rstrip(" .")
    if not name:
        return "attachment"
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 10 or not stem:
        return name[:MAX_NAME_LENGTH]
    return stem[:MAX_NAME_LENGTH - len(ext) - 1].rstrip(" .") + "." + ext


def _with_extension(name: str, content_type: str) -> str:
    allowed = EXTENSIONS[content_type]
    if name.lower().endswith(allowed):
        return name
    return sanitize_filename(name[:MAX_NAME_LENGTH - len(allowed[0])] + allowed[0])


def _upload_root() -> Path:
    root = get_settings().upload_dir
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def _stored_path(storage_key: str) -> Path:
    if not _STORAGE_KEY.fullmatch(storage_key or ""):
        raise FileNotFoundError("not a storage key")
    return get_settings().upload_dir / storage_key


class AttachmentWriter:
    """Receives one upload chunk by chunk; ``finish()`` stores it, ``discard()`` forgets it.

    Usable as a context manager: leaving the block without ``finish()`` discards.
    """

    def __init__(self, filename: str):
        self.filename = sanitize_filename(filename)
        self.size = 0
        self._hash = hashlib.sha256()
        incoming = _upload_root() / _INCOMING
        incoming.mkdir(mode=0o700, exist_ok=True)
        fd, path = tempfile.mkstemp(dir=incoming, prefix="up-")  # created 0600
        self._path = Path(path)
        self._file = os.fdopen(fd, "wb")

    def __enter__(self) -> AttachmentWriter:
        return self

    def __exit__(self, *exc_info) -> None:
        self.discard()

    def _refuse(self, why: str) -> Invalid:
        self.discard()
        return Invalid(FIELD, f"{self.filename}: {why}")

    def write(self, chunk: bytes) -> None:
        """Add the next chunk; past :data:`MAX_BYTES` the upload is refused and discarded."""
        if self._file is None:
            raise RuntimeError("this upload is already finished or discarded")
        if self.size + len(chunk) > MAX_BYTES:
            raise self._refuse("larger than 10 MB")
        self.size += len(chunk)
        self._hash.update(chunk)
        self._file.write(chunk)

    def finish(self) -> StoredFile:
        """Check the content, encrypt it into the store, remove the temporary copy."""
        if self._file is None:
            raise RuntimeError("this upload is already finished or discarded")
        self._file.close()
        try:
            content_type = self._content_type()
            pages = self._pdf_pages() if content_type == PDF else None
            storage_key = secrets.token_hex(32)
            sealed_files.encrypt_into(self._path, _upload_root() / storage_key, storage_key)
            return StoredFile(filename=_with_extension(self.filename, content_type), content_type=content_type,
                              size=self.size, sha256=self._hash.hexdigest(), storage_key=storage_key, pages=pages)
        finally:
            self.discard()

    def discard(self) -> None:
        """Close and delete the temporary copy (safe to call more than once)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._path.unlink(missing_ok=True)

    def _content_type(self) -> str:
        with open(self._path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
        kind = filetype.guess(head) if head else None
        mime = kind.mime if kind else ""
        if mime in (PDF, PNG, JPEG, TIFF):
            return mime
        if mime in ("application/zip", DOCX) and self._is_docx():
            return DOCX
        raise self._refuse("not a PDF, PNG, JPEG, TIFF or DOCX file")

    def _is_docx(self) -> bool:
        try:  # reads the central directory only; nothing is extracted
            with zipfile.ZipFile(self._path) as archive:
                return "word/document.xml" in archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return False

    def _pdf_pages(self) -> int:
        from pypdf import PdfReader  # imported here: only PDFs pay for it

        try:  # an open file, not a path: given a path, pypdf reads the whole file into memory
            with open(self._path, "rb") as handle:
                reader = PdfReader(handle)
                if reader.is_encrypted:
                    raise ValueError("encrypted")
                pages = len(reader.pages)
        except Exception:  # pypdf raises many kinds of error on a broken file
            pages = 0
        if pages < 1:
            raise self._refuse("the PDF is damaged or password-protected")
        return pages


def open_plain(storage_key: str) -> Iterator[bytes]:
    """The plain bytes of a stored file, one segment at a time, each checked before it is yielded.

    Raises FileNotFoundError (at once) for an unknown key and :class:`StoreDamaged`
    when a segment fails its check: nothing unauthenticated is ever yielded.
    """
    handle = open(_stored_path(storage_key), "rb")  # noqa: SIM115 - the generator closes it
    return sealed_files.decrypt(handle, storage_key)


def rekey_stored(storage_key: str) -> bool:
    """Rewrite a stored file under the current key (``harmony-portal rotate-key``); False if it was."""
    spool = _upload_root() / _INCOMING
    spool.mkdir(mode=0o700, exist_ok=True)
    return sealed_files.reencrypt(_stored_path(storage_key), storage_key, spool)


def remove_stored(storage_key: str) -> None:
    """Delete a stored file (an attachment whose row was never saved)."""
    try:
        _stored_path(storage_key).unlink(missing_ok=True)
    except FileNotFoundError:
        pass
