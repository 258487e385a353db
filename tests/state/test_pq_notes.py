"""Save and Close Note on a PQ page: the page shows the note at once, read back in the note's own
transaction; a note forged onto a PQ the user may not see is refused and nothing is written."""

from sqlalchemy import event
from sqlmodel import select

from harmony_portal.db import session_scope
from harmony_portal.models import PQNote
from harmony_portal.state.pq_detail import PQDetailState
from tests.state.conftest import run_async

FORM = {"note_type": "General", "status": "Pending", "note": "The signed form is attached."}


def _two_providers(make):
    with session_scope() as s:
        mine, theirs = make.org(s, "NT1", "Nome Care"), make.org(s, "NT2", "Sitka Homes")
        nell, other = make.user(s, "nell.note"), make.user(s, "otto.note")
        make.grant(s, nell, mine, "Staff")
        make.grant(s, other, theirs, "Staff")
        return nell, make.pq(s, nell, mine).id, make.pq(s, other, theirs).id


def _notes_on(pq_id: int) -> list[str]:
    with session_scope() as s:
        return [n.text for n in s.exec(select(PQNote).where(PQNote.pq_id == pq_id))]


def test_a_saved_note_shows_at_once_read_back_in_its_own_transaction(app_db, make, signed_in):
    nell, pq_id, _other = _two_providers(make)
    state_of = signed_in(nell, path=f"/pq/{pq_id}")
    began: list[object] = []

    def count(connection):
        began.append(connection)

    async def scenario():
        state = await state_of(PQDetailState)
        PQDetailState.load.fn(state)
        PQDetailState.open_note.fn(state)
        event.listen(app_db, "begin", count)
        try:
            await PQDetailState.save_note.fn(state, FORM)
        finally:
            event.remove(app_db, "begin", count)
        return state

    state = run_async(scenario())
    assert state.message == "The note was saved." and not state.note_open and state.note_error == ""
    assert [n["text"] for n in state.notes] == [FORM["note"]]
    assert [h["action"] for h in state.history] == ["created", "note added"]
    assert len(began) == 2  # who asks; then the note and the page as it now stands


def test_a_note_forged_onto_another_organizations_pq_is_refused(app_db, make, signed_in):
    nell, pq_id, other_pq = _two_providers(make)
    state_of = signed_in(nell, path=f"/pq/{pq_id}")

    async def scenario():
        state = await state_of(PQDetailState)
        PQDetailState.load.fn(state)
        state.pq = {**state.pq, "id": str(other_pq)}  # a client can send any event with any state
        await PQDetailState.save_note.fn(state, FORM)
        return state

    state = run_async(scenario())
    assert state.note_error == "No such PQ." and state.note_values["note"] == FORM["note"]  # what was typed stays
    assert _notes_on(other_pq) == [] and _notes_on(pq_id) == []


def test_each_note_lists_its_own_files_with_readable_sizes(app_db, make, signed_in):
    from harmony_portal.services.pq.attachments import size_text
    from harmony_portal.services.pq.file_store import StoredFile
    from tests import factories

    nell, pq_id, _other = _two_providers(make)
    with session_scope() as s:
        from harmony_portal.models import PQ, User
        from harmony_portal.services.pq import attachments

        pq, author = s.get(PQ, pq_id), s.get(User, nell.id)
        with_files = factories.note(s, author, pq, "Two files attached.")
        factories.note(s, author, pq, "No file here.")
        attachments.attach_files(s, author, pq_id, with_files.id, [
            StoredFile(filename=name, content_type="application/pdf", size=size, sha256="0" * 64,
                       storage_key=f"note-files-{name}", pages=1)
            for name, size in (("form.pdf", 48_213), ("scan.pdf", 2_400_000))])
        with_files_id = str(with_files.id)

    async def scenario():
        state = await signed_in(nell, path=f"/pq/{pq_id}")(PQDetailState)
        PQDetailState.load.fn(state)
        return state

    state = run_async(scenario())
    counts = {n["text"]: n["files"] for n in state.notes}
    assert counts == {"Two files attached.": "2", "No file here.": "0"}
    assert [(f["note"], f["name"], f["size"]) for f in state.note_files] == [
        (with_files_id, "form.pdf", "48.2 KB"), (with_files_id, "scan.pdf", "2.4 MB")]
    assert (size_text(512), size_text(99_999), size_text(100_000)) == ("512 bytes", "100.0 KB", "0.1 MB")
