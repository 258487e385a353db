"""Keys that can be rotated: a new HARMONY_SECRET_KEY writes, the old ones (HARMONY_OLD_SECRET_KEYS) still
read, and `rotate-key` rewrites everything under the new key while uploads and sign-ins go on,
resumably and losing nothing; then the old key can go."""

from __future__ import annotations

import base64
import hashlib
import threading
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from sqlmodel import select

from harmony_portal.db import session_scope
from harmony_portal.models import Attachment, OutboxEmail, TotpDevice, User, utc_now
from harmony_portal.services import key_rotation, keys
from harmony_portal.services.notifications.notify import queue_email, rendered_body
from harmony_portal.services.pq import attachments as pq_attachments
from harmony_portal.services.pq import file_store, sealed_files
from harmony_portal.services.security import current_totp, unseal
from harmony_portal.services.signin import authentication, two_factor
from harmony_portal.settings import get_settings
from tests import factories
from tests.services.pq.test_file_store import png_bytes, store_bytes

OLD, NEW = "old-key-" + "o" * 40, "new-key-" + "n" * 40


def _use_keys(monkeypatch, current: str, *old: str) -> None:
    monkeypatch.setenv("HARMONY_SECRET_KEY", current)
    if old:
        monkeypatch.setenv("HARMONY_OLD_SECRET_KEYS", ",".join(old))
    else:
        monkeypatch.delenv("HARMONY_OLD_SECRET_KEYS", raising=False)
    get_settings.cache_clear()


@pytest.fixture
def world(app_db, make, tmp_path, monkeypatch):
    """Under the old key: people with authenticators, attachments, an email with a sealed link."""
    monkeypatch.setenv("HARMONY_UPLOAD_DIR", str(tmp_path / "store"))
    _use_keys(monkeypatch, OLD)
    with session_scope() as s:
        org = make.org(s, "KR1")
        people = [make.user(s, f"rot{n}") for n in range(3)]
        secrets = {p.id: two_factor.enrol_trusted_device(s, p, reason="test") for p in people}
        make.grant(s, people[0], org, "Staff")
        pq = make.pq(s, people[0], org)
        note = factories.note(s, people[0], pq)
        files = {}
        for n in range(5):
            data = png_bytes(f"file {n}".encode())
            stored = store_bytes(f"scan{n}.png", data)
            pq_attachments.attach_files(s, people[0], pq.id, note.id, [stored])
            files[stored.storage_key] = hashlib.sha256(data).hexdigest()
        # One secret sealed the way it was before key ids (a bare Fernet token under the old key).
        legacy = Fernet(base64.urlsafe_b64encode(hashlib.sha256(OLD.encode()).digest()))
        device = s.exec(select(TotpDevice).where(TotpDevice.user_id == people[2].id)).one()
        device.secret = legacy.encrypt(secrets[people[2].id].encode()).decode()
        s.add(device)
        queue_email(s, "reset@example.org", "Reset", "Use {{reset_link}}", sealed={"reset_link": "https://x/r?t=1"})
        ids = {"people": [p.id for p in people], "pq": pq.id, "note": note.id, "author": people[0].id}
    yield {"secrets": secrets, "files": files, **ids}
    get_settings.cache_clear()


def _readable(files: dict[str, str]) -> bool:
    return all(hashlib.sha256(b"".join(file_store.open_plain(k))).hexdigest() == digest for k, digest in files.items())


def _signs_in(user_id: int, secret: str, at) -> bool:
    with session_scope() as s:
        authentication.check_security_code(s, user_id, current_totp(secret, at), now=at)
    return True


def test_a_new_key_writes_and_the_old_one_still_reads(world, monkeypatch):
    _use_keys(monkeypatch, NEW, OLD)
    assert _readable(world["files"])
    new = store_bytes("after.png", png_bytes(b"after"))
    assert sealed_files.key_id_of(get_settings().upload_dir / new.storage_key) == keys.key_id(NEW)
    for n, (user_id, secret) in enumerate(world["secrets"].items()):
        assert _signs_in(user_id, secret, utc_now() + timedelta(seconds=30 * (n + 1)))
    # Without the old key nothing of it can be read, and the error says which key is missing.
    _use_keys(monkeypatch, NEW)
    with pytest.raises(sealed_files.StoreDamaged, match=f"key {keys.key_id(OLD)}.*HARMONY_OLD_SECRET_KEYS"):
        b"".join(file_store.open_plain(next(iter(world["files"]))))


def test_rotate_key_while_uploads_and_sign_ins_go_on_loses_nothing(world, monkeypatch):
    _use_keys(monkeypatch, NEW, OLD)
    files, errors = dict(world["files"]), []
    stop = threading.Event()

    def uploads():
        n = 0
        while not stop.is_set():
            data = png_bytes(f"during {n}".encode())
            try:
                stored = store_bytes(f"during{n}.png", data)
                with session_scope() as s:
                    author = s.get(User, world["author"])
                    pq_attachments.attach_files(s, author, world["pq"], world["note"], [stored])
                files[stored.storage_key] = hashlib.sha256(data).hexdigest()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            n += 1

    def sign_ins():
        # Paced and bounded: the portal allows 30 security-code checks from one address in 5 minutes, and the
        # checks after the rotation need three more; a slow machine must not turn this into a rate-limit test.
        for step in range(1, 9):
            for user_id, secret in world["secrets"].items():
                try:
                    _signs_in(user_id, secret, utc_now() + timedelta(seconds=30 * step))
                except Exception as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)
            if stop.wait(0.05):
                return

    workers = [threading.Thread(target=uploads), threading.Thread(target=sign_ins)]
    for worker in workers:
        worker.start()
    try:
        first = key_rotation.rotate()
    finally:
        stop.set()
        for worker in workers:
            worker.join(30)
    assert errors == []
    assert first.files >= len(world["files"]) and first.secrets == len(world["secrets"]) + 1  # + the sealed link
    again = key_rotation.rotate()  # what uploads wrote meanwhile was under the new key already
    assert (again.files, again.secrets, again.missing) == (0, 0, 0)

    _use_keys(monkeypatch, NEW)  # the old key is gone: everything still reads
    assert _readable(files) and len(files) > len(world["files"])
    for user_id, secret in world["secrets"].items():
        assert _signs_in(user_id, secret, utc_now() + timedelta(hours=2))
    with session_scope() as s:
        email = s.exec(select(OutboxEmail).where(OutboxEmail.to_address == "reset@example.org")).one()
        assert "https://x/r?t=1" in rendered_body(email)
        assert all(unseal(d.secret) for d in s.exec(select(TotpDevice)))


def test_a_rotation_that_stops_part_way_is_finished_by_running_it_again(world, monkeypatch):
    _use_keys(monkeypatch, NEW, OLD)
    monkeypatch.setattr(key_rotation, "BATCH", 2)

    def stop_after_first_batch(_line: str) -> None:
        raise KeyboardInterrupt  # the operator pressed Ctrl-C, or the machine went down

    with pytest.raises(KeyboardInterrupt):
        key_rotation.rotate(progress=stop_after_first_batch)
    with session_scope() as s:
        keys_of = [a.storage_key for a in s.exec(select(Attachment))]
    store = get_settings().upload_dir
    assert sum(sealed_files.key_id_of(store / k) == keys.key_id(NEW) for k in keys_of) == 2
    finished = key_rotation.rotate()
    assert finished.files == len(keys_of) - 2
    _use_keys(monkeypatch, NEW)
    assert _readable(world["files"])
