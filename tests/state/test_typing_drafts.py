"""Drafts saved while typing (debounced in the browser): kept as typed, and a save that arrives
after the form was filed or the note dialog closed does not bring the draft back."""

from harmony_portal.db import session_scope
from harmony_portal.services.pq import drafts
from harmony_portal.state.pq_detail import PQDetailState
from harmony_portal.state.pq_new import PQNewState
from tests.state.conftest import run_async


def _provider(make):
    with session_scope() as s:
        org = make.org(s, "DRA", "Kenai Home Care")
        ann = make.user(s, "ann.draft")
        make.grant(s, ann, org, "Staff")
        pq = make.pq(s, ann, org)
        return ann, pq.id


def _pq_form(subject: str, details: str = "Which rate applies?") -> dict[str, str]:
    return {"provider": "DRA", "inquiry_type": "Billing", "subject": subject, "details": details,
            "status": "Pending"}


def _filed(subject: str) -> list:
    from sqlmodel import select

    from harmony_portal.models import PQ

    with session_scope() as s:
        return s.exec(select(PQ).where(PQ.subject == subject)).all()


def _draft(user, kind, key):
    with session_scope() as s:
        return drafts.load_draft(s, user, kind, key)


def test_a_pq_draft_follows_typing_and_a_late_save_after_filing_is_ignored(app_db, make, signed_in):
    ann, _pq_id = _provider(make)
    form = {"provider": "DRA", "inquiry_type": "Billing", "subject": "Rates for respite",
            "details": "Which rate applies to", "status": "Pending"}

    async def scenario():
        state = await signed_in(ann)(PQNewState)
        PQNewState.load.fn(state)
        PQNewState.keep_draft.fn(state, form)
        typed = _draft(ann, "pq", "new")
        await PQNewState.save.fn(state, {**form, "details": "Which rate applies to respite in Kenai?"})
        PQNewState.keep_draft.fn(state, form)  # the debounced save of the last keys, arriving after Save PQ
        return typed, _draft(ann, "pq", "new"), state.error

    typed, after, error = run_async(scenario())
    assert typed["details"] == "Which rate applies to" and error == ""
    assert after is None


def test_a_note_draft_follows_typing_until_the_dialog_closes(app_db, make, signed_in):
    ann, pq_id = _provider(make)

    async def scenario():
        state = await signed_in(ann, path=f"/pq/{pq_id}")(PQDetailState)
        PQDetailState.load.fn(state)
        PQDetailState.open_note.fn(state)
        PQDetailState.keep_note_draft.fn(state, {"note_type": "General", "status": "Pending", "note": "Half a"})
        PQDetailState.close_note.fn(state)
        PQDetailState.keep_note_draft.fn(state, {"note_type": "General", "status": "Pending", "note": "Late"})
        closed = _draft(ann, "note", pq_id)
        PQDetailState.open_note.fn(state)
        return closed, dict(state.note_values)

    closed, reopened = run_async(scenario())
    assert closed["note"] == "Half a" and reopened["note"] == "Half a"


def test_add_pq_tells_someone_without_an_organization_what_to_do(app_db, make, signed_in):
    """No dead end: an empty Provider Name list comes with a way forward; a member gets no such note."""
    ann, _pq_id = _provider(make)
    with session_scope() as s:
        newcomer = make.user(s, "no.org.yet")

    async def scenario():
        outsider = await signed_in(newcomer)(PQNewState)
        PQNewState.load.fn(outsider)
        member = await signed_in(ann)(PQNewState)
        PQNewState.load.fn(member)
        return (outsider.providers, outsider.no_provider), (len(member.providers), member.no_provider)

    assert run_async(scenario()) == (([], True), (1, False))


def test_save_pq_pressed_again_after_a_lost_answer_files_one_pq(app_db, make, signed_in):
    """A node stopped right after the commit: the page never heard, the form is still filled in, and
    the person presses Save PQ again. The form's key (made when it opened) finds the first PQ."""


    ann, _pq_id = _provider(make)
    form = _pq_form("Saved once")

    async def scenario():
        state = await signed_in(ann)(PQNewState)
        PQNewState.load.fn(state)
        opened_with = state.client_key
        first = await PQNewState.save.fn(state, form)
        state._saved = False  # as the tab still stood: the answer to the first save never arrived
        second = await PQNewState.save.fn(state, form)
        return opened_with, str(first), str(second)

    opened_with, first, second = run_async(scenario())
    filed = _filed("Saved once")
    assert len(filed) == 1 and filed[0].client_key == opened_with
    assert f"/pq/{filed[0].id}" in first and f"/pq/{filed[0].id}" in second  # both answers show the PQ


def test_save_and_close_note_pressed_again_saves_one_note(app_db, make, signed_in):
    from sqlmodel import select

    from harmony_portal.models import PQNote

    ann, pq_id = _provider(make)
    form = {"note_type": "General", "status": "Pending", "note": "Only one of me"}

    async def scenario():
        state = await signed_in(ann, path=f"/pq/{pq_id}")(PQDetailState)
        PQDetailState.load.fn(state)
        PQDetailState.open_note.fn(state)
        key = state.note_key
        await PQDetailState.save_note.fn(state, form)
        state.note_key = key  # the dialog as it stood before the lost answer
        await PQDetailState.save_note.fn(state, form)
        return state.message

    message = run_async(scenario())
    with session_scope() as s:
        assert len(s.exec(select(PQNote).where(PQNote.text == "Only one of me")).all()) == 1
    assert message.startswith("The note was saved")



def test_the_form_key_outlives_a_reopened_page_until_the_pq_is_saved(app_db, make, signed_in):
    """Reconnecting to another node opens the page again: the same form, the same key (so a repeated
    save is still recognised); once saved, the next Add PQ is a new form with a new key."""
    ann, _pq_id = _provider(make)
    form = _pq_form("Keyed")

    async def scenario():
        state = await signed_in(ann)(PQNewState)
        PQNewState.load.fn(state)
        opened = state.client_key
        PQNewState.load.fn(state)  # the page opened again (a reconnect)
        reopened = state.client_key
        await PQNewState.save.fn(state, form)
        PQNewState.load.fn(state)  # Add PQ again, after saving
        return opened, reopened, state.client_key

    opened, reopened, after_save = run_async(scenario())
    assert opened and reopened == opened and after_save != opened


def test_the_forms_key_sent_back_by_the_browser_finds_the_first_save_after_the_tab_lost_its_state(
        app_db, make, signed_in):
    """A node died and the tab came back with new server state (a new key): the browser restores the
    key the form opened with (keep_typing.js), so the second press still finds the first PQ. A key
    that is not one of ours (forged, malformed) is ignored."""


    ann, _pq_id = _provider(make)
    form = _pq_form("Across nodes")

    async def scenario():
        first_tab = await signed_in(ann)(PQNewState)
        PQNewState.load.fn(first_tab)
        opened_with = first_tab.client_key
        await PQNewState.save.fn(first_tab, {**form, "client_key": opened_with})
        fresh = await signed_in(ann)(PQNewState)  # the state the reconnected tab was given
        PQNewState.load.fn(fresh)
        await PQNewState.save.fn(fresh, {**form, "client_key": opened_with})
        forged = await signed_in(ann)(PQNewState)
        PQNewState.load.fn(forged)
        await PQNewState.save.fn(forged, {**form, "client_key": "<script>"})

    run_async(scenario())
    assert len(_filed("Across nodes")) == 2  # the repeat found the first; the malformed key made its own form's PQ


def test_a_role_request_sent_again_from_a_reconnected_tab_is_one_request(app_db, make, signed_in):
    """Submit Request's answer was lost (the node stopped after the commit); the reconnected tab has
    new server state, but the browser sends back the key its form opened with: one request, and the
    page goes Home as if the first answer had come."""
    from sqlmodel import select

    from harmony_portal import routes
    from harmony_portal.models import RoleRequest
    from harmony_portal.state.role_request import RoleRequestState
    from tests.state.test_happy_paths import redirect_path

    with session_scope() as s:
        make.org(s, "ROL", "Sitka Care")
        rae = make.user(s, "rae.request")
    form = {"organization": "ROL", "role": "Staff", "justification": "Visiting Sitka residents weekly."}

    async def scenario():
        first_tab = await signed_in(rae)(RoleRequestState)
        RoleRequestState.load.fn(first_tab)
        opened_with = first_tab.client_key
        answers = [await RoleRequestState.submit.fn(first_tab, {**form, "client_key": opened_with})]
        reconnected = await signed_in(rae)(RoleRequestState)
        RoleRequestState.load.fn(reconnected)
        assert reconnected.client_key != opened_with
        answers.append(await RoleRequestState.submit.fn(reconnected, {**form, "client_key": opened_with}))
        return answers, reconnected.error

    answers, error = run_async(scenario())
    assert [redirect_path(a) for a in answers] == [routes.HOME, routes.HOME] and error == ""
    with session_scope() as s:
        assert len(s.exec(select(RoleRequest).where(RoleRequest.user_id == rae.id)).all()) == 1
