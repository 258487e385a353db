"""The private store: content decides the type, bytes are counted and encrypted, memory stays low."""

import hashlib
import io
import stat
import struct
import tracemalloc
import zipfile
import zlib

import pytest
from pypdf import PdfWriter

from harmony_portal.services.errors import Invalid
from harmony_portal.services.pq import file_store as attachments
from harmony_portal.services.pq.file_store import MAX_BYTES, AttachmentWriter, StoreDamaged, open_plain
from harmony_portal.settings import get_settings


@pytest.fixture(autouse=True)
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("HARMONY_UPLOAD_DIR", str(tmp_path / "store"))
    get_settings.cache_clear()
    yield tmp_path / "store"
    get_settings.cache_clear()


def pdf_bytes(pages=2, password=None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_bytes(payload: bytes = b"") -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
            + (chunk(b"tEXt", payload) if payload else b"") + chunk(b"IEND", b""))


def docx_bytes(with_document=True) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        if with_document:
            archive.writestr("word/document.xml", "<w:document/>")
        else:
            archive.writestr("notes.txt", "just a zip")
    return out.getvalue()


def store_bytes(name: str, data: bytes, chunk: int = 65536):
    writer = AttachmentWriter(name)
    for start in range(0, len(data), chunk):
        writer.write(data[start:start + chunk])
    return writer.finish()


def plain(key: str) -> bytes:
    return b"".join(open_plain(key))


def leftovers(store_dir):
    return list((store_dir / ".incoming").iterdir())


def test_a_real_pdf_round_trips_with_its_page_count_and_sha256(store):
    data = pdf_bytes(pages=3)
    stored = store_bytes("Access Request.pdf", data)
    assert (stored.filename, stored.content_type, stored.pages, stored.size) == (
        "Access Request.pdf", "application/pdf", 3, len(data))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert plain(stored.storage_key) == data
    assert leftovers(store) == []


@pytest.mark.parametrize(("name", "data", "content_type", "filename"), [
    ("scan.png", png_bytes(), "image/png", "scan.png"),
    ("photo.JPEG", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200), "image/jpeg", "photo.JPEG"),
    ("fax.tif", b"II*\x00\x08\x00\x00\x00" + bytes(200), "image/tiff", "fax.tif"),
    ("agreement.docx", docx_bytes(), attachments.DOCX, "agreement.docx"),
    ("picture.pdf", png_bytes(), "image/png", "picture.pdf.png"),  # content decides, not the name
])
def test_the_accepted_types_are_recognised_by_content(name, data, content_type, filename):
    stored = store_bytes(name, data)
    assert (stored.content_type, stored.filename, stored.pages) == (content_type, filename, None)
    assert plain(stored.storage_key) == data


@pytest.mark.parametrize("data", [
    b"\x7fELF\x02\x01\x01\x00" + bytes(500),  # a Linux executable
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(500),  # a Windows one
    b"%!PS-Adobe-3.0\n" + bytes(100),
    b"plain text that claims to be a pdf",
    docx_bytes(with_document=False),  # a zip, but not a Word document
    b"",
])
def test_anything_else_named_report_pdf_is_refused(store, data):
    with pytest.raises(Invalid) as refused:
        store_bytes("report.pdf", data)
    assert refused.value.errors == {"attachments": "report.pdf: not a PDF, PNG, JPEG, TIFF or DOCX file"}
    assert leftovers(store) == [] and [p.name for p in store.iterdir()] == [".incoming"]


@pytest.mark.parametrize("data", [
    pdf_bytes(password="secret"),
    b"%PDF-1.7\n" + b"\x00garbage" * 200,
    pdf_bytes()[:60],
])
def test_a_damaged_or_password_protected_pdf_is_refused(store, data):
    with pytest.raises(Invalid) as refused:
        store_bytes("form.pdf", data)
    assert str(refused.value) == "form.pdf: the PDF is damaged or password-protected"
    assert leftovers(store) == []


def test_one_byte_over_10_mb_is_refused_without_holding_the_file(store):
    chunk = b"\x00" * 65536
    writer = AttachmentWriter("huge.pdf")
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    with pytest.raises(Invalid) as refused:
        for _ in range(MAX_BYTES // len(chunk)):
            writer.write(chunk)
        writer.write(b"\x00")
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    print(f"refusing 10 MB + 1 byte: peak growth {peak / 1024:.0f} KiB")
    assert refused.value.errors == {"attachments": "huge.pdf: larger than 10 MB"}
    assert peak < 512 * 1024
    assert leftovers(store) == []
    with pytest.raises(RuntimeError):
        writer.write(b"more")


def test_exactly_10_mb_is_stored_and_read_back_in_little_memory(store):
    head = png_bytes()
    filler = b"0123456789abcdef" * 4096
    writer = AttachmentWriter("big.png")
    digest = hashlib.sha256()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    writer.write(head)
    digest.update(head)
    left = MAX_BYTES - len(head)
    while left:
        piece = filler[:min(left, len(filler))]
        writer.write(piece)
        digest.update(piece)
        left -= len(piece)
    stored = writer.finish()
    store_peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    check = hashlib.sha256()
    total = 0
    for part in open_plain(stored.storage_key):
        check.update(part)
        total += len(part)
    read_peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    print(f"10 MB: store peak growth {store_peak / 2**20:.2f} MiB, read peak growth {read_peak / 2**20:.2f} MiB")
    assert stored.size == total == MAX_BYTES
    assert stored.sha256 == check.hexdigest() == digest.hexdigest()
    assert store_peak < 2**20 and read_peak < 2**20  # a tenth of the file at most


def test_stored_bytes_are_encrypted_and_owner_only(store):
    secret = b"Patient: Jane Doe, DOB 1970-01-01, Medicaid 123456789"
    data = png_bytes(secret)
    first = store_bytes("chart.png", data)
    second = store_bytes("chart.png", data)
    assert first.storage_key != second.storage_key
    raw = (store / first.storage_key).read_bytes()
    assert secret not in raw and b"IHDR" not in raw
    assert raw != (store / second.storage_key).read_bytes()  # a fresh key and nonce per file
    assert stat.S_IMODE((store / first.storage_key).stat().st_mode) == 0o600
    assert stat.S_IMODE(store.stat().st_mode) == 0o700


def test_tampering_is_detected(store):
    data = pdf_bytes()
    stored = store_bytes("form.pdf", data)
    path = store / stored.storage_key
    raw = bytearray(path.read_bytes())
    raw[40] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(StoreDamaged):
        plain(stored.storage_key)


def test_a_file_moved_to_another_key_or_cut_short_is_detected(store):
    big = png_bytes() + bytes(attachments.SEGMENT_BYTES + 100)
    stored = store_bytes("two-segments.png", big)
    other = store_bytes("other.png", png_bytes())
    raw = (store / stored.storage_key).read_bytes()
    (store / other.storage_key).write_bytes(raw)
    with pytest.raises(StoreDamaged):
        plain(other.storage_key)
    record = 12 + attachments.SEGMENT_BYTES + 16
    (store / stored.storage_key).write_bytes(raw[:4 + record])  # drop the last segment
    with pytest.raises(StoreDamaged):
        plain(stored.storage_key)


def test_unknown_or_malformed_storage_keys_open_nothing(store):
    for key in ("0" * 64, "../secret_key", "", "A" * 64):
        with pytest.raises(FileNotFoundError):
            open_plain(key)


def test_discard_removes_the_temporary_copy(store):
    with AttachmentWriter("draft.pdf") as writer:
        writer.write(b"%PDF-1.7 partial")
        assert len(leftovers(store)) == 1
    assert leftovers(store) == []


@pytest.mark.parametrize(("given", "expected"), [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\pat\\Desktop\\report.pdf", "report.pdf"),
    ("re\x00port\r\n.pdf", "report.pdf"),
    ("in\u202evoice.pdf", "invoice.pdf"),  # right-to-left override
    ('a<b>:c"|?*.pdf', "a_b__c____.pdf"),
    ("...hidden.pdf", "hidden.pdf"),
    ("", "attachment"),
    ("///", "attachment"),
    ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
])
def test_file_names_are_sanitized(given, expected):
    assert attachments.sanitize_filename(given) == expected
    assert len(attachments.sanitize_filename(given)) <= attachments.MAX_NAME_LENGTH


def test_a_9_mb_pdf_is_opened_from_disk_not_memory(store):
    from pypdf.generic import DecodedStreamObject, NameObject

    pdf = PdfWriter()
    for _ in range(3):
        page = pdf.add_blank_page(width=612, height=792)
        content = DecodedStreamObject()
        content.set_data(b"% " + b"0" * 3_000_000 + b"\n")
        page[NameObject("/Contents")] = pdf._add_object(content)
    out = io.BytesIO()
    pdf.write(out)
    data = out.getvalue()
    del pdf, out, content
    writer = AttachmentWriter("scan.pdf")
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for start in range(0, len(data), 65536):
        writer.write(data[start:start + 65536])
    stored = writer.finish()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    print(f"{len(data) / 2**20:.1f} MiB PDF: store peak growth {peak / 2**20:.2f} MiB")
    assert stored.pages == 3 and stored.size == len(data)
    assert peak < 2**20
