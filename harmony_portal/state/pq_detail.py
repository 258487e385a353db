"""One PQ (/pq/[pq_id]): Details, Notes (Add Note with attachments), Attachments, History."""

from __future__ import annotations

import secrets
from collections import Counter

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.events.off_loop import off_loop, threaded
from harmony_portal.live import pq_pages as live_pq
from harmony_portal.models import User
from harmony_portal.services.clock import format_local
from harmony_portal.services.errors import DomainError, Invalid
from harmony_portal.services.pq import access_requests, detail, drafts, sla
from harmony_portal.services.pq import attachments as pq_attachments
from harmony_portal.services.pq import filing as pq
from harmony_portal.services.pq.access import is_help_desk
from harmony_portal.services.pq.file_store import MAX_BYTES, AttachmentWriter, StoredFile, remove_stored
from harmony_portal.state.base import AuthState
from harmony_portal.state.event_args import client_key_of, form_fields, form_values, parse_id
from harmony_portal.state.feedback import Feedback

__all__ = ["PQDetailState"]

UPLOAD_ID = "note-files"
_NOTE_FIELDS = ("note_type", "status", "note")


@live_pq.follows_pq
class PQDetailState(Feedback, AuthState):
    pq: dict[str, str] = {}
    notes: list[dict[str, str]] = []
    attachments: list[dict[str, str]] = []
    note_files: list[dict[str, str]] = []  # the attachments again, each with its note: listed under that note
    history: list[dict[str, str]] = []
    signing: dict[str, str] = {}  # the Access Request's form signed in the portal (state/pq_signing.py)
    signers: list[dict[str, str]] = []
    help_desk: bool = False
    # The Add Note dialog
    note_open: bool = False
    note_values: dict[str, str] = {}
    note_errors: dict[str, str] = {}
    note_error: str = ""
    note_form_key: int = 0
    note_key: str = ""  # made when Add Note opens: one note per opening; the browser keeps its typing under it
    uploading: bool = False
    upload_progress: int = 0
    uploaded: list[dict[str, str]] = []  # files stored for the note being written: name, size, pages
    upload_refusals: list[str] = []
    _stored: list[StoredFile] = []
    work_errors: dict[str, str] = {}

    def _pq_id(self) -> int | None:
        return parse_id(self.router.url.path.rstrip("/").rsplit("/", 1)[-1])

    def _asked_pq_id(self) -> int:
        """The PQ the page's address names; an address that names none is refused."""
        if (pq_id := self._pq_id()) is None:
            raise DomainError("No such PQ.")
        return pq_id

    def _reload(self) -> None:
        user, pq_id = self._require_user(), self._asked_pq_id()
        with session_scope() as session:
            self._show(user, detail.pq_page(session, user, pq_id))

    def _show(self, user: User, page: detail.PQPage) -> None:
        found, notes, files, history = page.pq, page.notes, page.attachments, page.history
        due = found.first_response_due_at
        pq_row = {"id": str(found.id), "organization": found.organization_id or "", "provider": found.provider_name,
                  "inquiry_type": found.inquiry_type, "subject": found.subject, "details": found.details,
                  "status": found.status, "assigned_resource": found.assigned_resource,
                  "created": format_local(found.created_at),
                  "respond_by": (sla.respond_by_text(due) if due and found.first_response_at is None else "")}
        per_note = Counter(a.note_id for a in files)
        shown = {
            "help_desk": is_help_desk(user),
            "pq": pq_row,
            "notes": [{"id": str(n.id), "type": n.note_type, "status": n.status, "text": n.text,
                       "author": n.author_name, "at": format_local(n.created_at),
                       "files": str(per_note.get(n.id, 0))} for n in notes],
            "attachments": [{"id": str(a.id), "name": a.filename, "size": pq_attachments.size_text(a.size),
                             "pages": str(a.pages or ""), "at": format_local(a.created_at)} for a in files],
            "note_files": [{"id": str(a.id), "note": str(a.note_id), "name": a.filename,
                            "size": pq_attachments.size_text(a.size)} for a in files if a.note_id is not None],
            "history": [{"at": format_local(h.at), "action": h.action.replace("pq.", "").replace("_", " "),
                         "who": f"{h.actor_user_id} ({h.actor_name})"} for h in history],
            "signing": page.signing.as_row() if page.signing else {},
            "signers": page.signing.signers if page.signing else [],
        }
        for name, value in shown.items():  # only what changed goes back to the browser (notes grow long)
            if getattr(self, name) != value:
                setattr(self, name, value)

    @rx.event
    def load(self):
        self.error = ""
        self.note_open = False
        self.message = "The save was successful." if self.router.url.query_parameters.get("saved") == "1" else ""
        try:
            self._reload()
        except DomainError as exc:
            self.pq, self.notes, self.attachments, self.note_files, self.history = {}, [], [], [], []
            self.error = str(exc)
        live_pq.watch(parse_id(self.pq.get("id")), self.router.session.client_token)

    async def _follow(self, pq_id: int) -> int:
        """The PQ this tab shows changed (``live_pq``): read it again, as this tab's user."""
        if self._pq_id() != pq_id or not self.pq:
            return 0
        try:
            await off_loop(self._reload)
        except DomainError as exc:
            self.pq, self.notes, self.attachments, self.note_files, self.history = {}, [], [], [], []
            self.error = str(exc)
        return 1

    # --- Add Note -------------------------------------------------------------------------

    @rx.event
    def open_note(self):
        self.note_errors, self.note_error = {}, ""
        self.note_key = secrets.token_urlsafe(24)  # one note per opening, however often Save is pressed
        try:
            user = self._require_user()
            with session_scope() as session:
                draft = drafts.load_draft(session, user, "note", self.pq.get("id", "0"))
        except DomainError as exc:
            self.error = str(exc)
            return
        self.note_values = {k: str(v) for k, v in (draft or {}).items() if k in _NOTE_FIELDS}
        self.note_values.setdefault("status", self.pq.get("status", "Pending"))
        self.note_values.setdefault("note_type", "Access Request" if self.pq.get("inquiry_type") == "Access Request"
                                    else "General")
        self.note_form_key += 1
        self.note_open = True

    @rx.event
    def close_note(self):
        self.note_open = False  # the draft and the uploaded files stay for when the dialog opens again

    @rx.event
    def keep_note_draft(self, form: dict):
        """On leaving a field and a moment after typing stops (debounced in the browser)."""
        if not self.note_open:
            return  # a save that fired after Save and Close Note must not bring the draft back
        data = {k: v for k, v in form_fields(form).items() if k in _NOTE_FIELDS}
        try:
            user = self._require_user()
            with session_scope() as session:
                drafts.save_draft(session, user, "note", self.pq.get("id", "0"), data)
        except DomainError:
            return

    @rx.event
    def upload_progressed(self, progress: dict):
        try:
            self.upload_progress = max(0, min(100, int(float(progress.get("progress", 0)) * 100)))
        except (AttributeError, TypeError, ValueError):
            return

    @rx.event(background=True)
    async def receive_files(self, chunks: rx.UploadChunkIterator):
        """Stream the chosen files into the private store, refusing each past 10 MB as it arrives."""
        async with self:
            try:
                self._require_user()
                if not isinstance(chunks, rx.UploadChunkIterator) or not self.note_open:
                    raise DomainError("Open Add Note on a PQ first, then choose the files.")
            except DomainError as exc:
                self.note_error = str(exc)
                return
            self.uploading, self.upload_progress, self.upload_refusals = True, 0, []
        writers: dict[str, AttachmentWriter] = {}
        refused: dict[str, str] = {}
        async for chunk in chunks:
            name = chunk.filename
            if name in refused:
                continue
            writer = writers.get(name)
            if writer is None:
                writer = writers[name] = AttachmentWriter(name)
            try:
                writer.write(chunk.data)  # counts bytes; past MAX_BYTES it refuses and drops the copy
            except Invalid as exc:
                writer.discard()
                writers.pop(name)
                refused[name] = str(exc.errors.get("attachments", exc))
        stored, problems = [], list(refused.values())
        for writer in writers.values():
            try:
                stored.append(await off_loop(writer.finish))  # content check, PDF check, encrypt
            except Invalid as exc:
                writer.discard()
                problems.append(str(exc.errors.get("attachments", exc)))
        async with self:
            self._stored = [*self._stored, *stored]
            self.uploaded = [*self.uploaded, *({"name": s.filename, "size": pq_attachments.size_text(s.size),
                                                "pages": str(s.pages or "")} for s in stored)]
            self.upload_refusals = problems
            self.uploading = False
            self.upload_progress = 100 if stored else 0

    @rx.event
    async def remove_upload(self, name: str):
        """Take a file out of the note being written (only this tab's own uploads are here)."""
        try:
            self._require_user()
        except DomainError as exc:
            self.note_error = str(exc)
            return
        keep = [s for s in self._stored if s.filename != name]
        for gone in (s for s in self._stored if s.filename == name):
            await off_loop(remove_stored, gone.storage_key)
        self._stored = keep
        self.uploaded = [u for u in self.uploaded if u["name"] != name]

    @rx.event
    @threaded
    def save_note(self, form: dict):
        """Save and Close Note: the note and its uploaded files in one transaction."""
        data = self.note_values = form_values(form, _NOTE_FIELDS)  # a refusal keeps everything typed
        key = client_key_of(form, self.note_key)
        self.note_errors, self.note_error = {}, ""

        def add(session, user, pq_id):
            if pq.filed_note(session, user, key):
                return  # saved a moment ago, and the answer never reached this page (a node restarting)
            note = pq.add_note(session, user, pq_id, data["note_type"], data["status"], data["note"],
                               client_key=key)
            pq_attachments.attach_files(session, user, pq_id, note.id, self._stored)
            drafts.discard_draft(session, user, "note", pq_id)

        try:
            user, page = self._change_pq(add)
        except DomainError as exc:
            self.note_errors, self.note_error = self._form_refusal(
                exc, "The note was not saved. Correct the fields marked below.")
            return
        count = len(self._stored)
        self._stored, self.uploaded, self.upload_refusals, self.upload_progress = [], [], [], 0
        self.note_values, self.note_open = {}, False
        self.message = "The note was saved" + (
            f" with {count} attachment{'' if count == 1 else 's'}." if count else ".")
        self._show(user, page)

    def _change_pq(self, change) -> tuple[User, detail.PQPage]:
        """``change(session, user, pq_id)`` on this PQ, then the page read back in the same transaction."""
        user, pq_id = self._require_user(), parse_id(self.pq.get("id", ""))
        if pq_id is None:
            raise DomainError("No such PQ.")
        with live_pq.changed_here(self.router.session.client_token), session_scope() as session:
            change(session, user, pq_id)
            return user, detail.pq_page(session, user, pq_id)

    # --- The help desk works the PQ ---------------------------------------------------------

    def _work(self, action, success: str) -> None:
        """Run a help-desk action on this PQ; services refuse anyone else."""
        self.error = self.message = ""
        self.work_errors = {}
        try:
            user, page = self._change_pq(action)
        except Invalid as exc:
            self.work_errors = exc.errors
            self.error = str(exc) if len(exc.errors) != 1 else next(iter(exc.errors.values()))
            return
        except DomainError as exc:
            self.error = str(exc)
            return
        self.message = success
        self._show(user, page)

    @rx.event
    def take(self):
        self._work(lambda s, u, i: pq.take_pq(s, u, i), "You took this PQ.")

    @rx.event
    def change_status(self, form: dict):
        status = form_fields(form).get("new_status", "")
        self._work(lambda s, u, i: pq.update_pq_status(s, u, i, status), f"Status changed to {status}.")

    @rx.event
    def grant(self, form: dict):
        form = form_fields(form)
        org, role = form.get("grant_organization", ""), form.get("grant_role", "")
        self._work(lambda s, u, i: access_requests.grant_from_pq(s, u, i, org, role),
                   f"Granted the {role} role; the PQ is Resolved.")

    @rx.event
    def refuse(self, form: dict):
        reason = form_fields(form).get("refusal_reason", "")
        self._work(lambda s, u, i: access_requests.reject_from_pq(s, u, i, reason),
                   "The Access Request was refused; the PQ is Resolved.")

    @rx.var
    def max_megabytes(self) -> int:
        return MAX_BYTES // 1_000_000
