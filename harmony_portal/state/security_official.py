"""Security Official: Role Requests (live), User Lookup, User Roles."""

from __future__ import annotations

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.live import QueueFeed, link_feed, queue_changed, rows_for
from harmony_portal.services import role_queries, roles
from harmony_portal.services.errors import DomainError, Invalid
from harmony_portal.services.organizations import organization_choices
from harmony_portal.state.base import AuthState, as_text, form_fields, parse_id


class RoleRequestsState(AuthState):
    """The queue itself lives in QueueFeed; this keeps one page's selection and dialog."""

    selected: list[str] = []
    all_selected: bool = False
    selection_epoch: int = 0  # bumps when the server replaces the selection as a whole
    sole_official_of: list[str] = []
    reject_open: bool = False
    reject_error: str = ""
    message: str = ""
    error: str = ""

    @rx.event
    async def load(self):
        self.selected = []
        self.all_selected = False
        self.selection_epoch += 1
        self.reject_open = False
        self.message = self.error = ""
        try:
            active = self._require_session()
        except DomainError as exc:
            self.error = str(exc)
            return
        # Link only after the server has established who this is: the feed is this session's alone.
        with session_scope() as session:
            self.sole_official_of = role_queries.sole_official_orgs(session, active.user)
        await link_feed(self, active.record.id, active.user)

    @rx.event
    def toggle(self, request_id: str, checked: bool):
        # Only ids go into the selection: approve and reject turn every one into a number.
        if (parsed := parse_id(request_id)) is None:
            return
        request_id = str(parsed)
        if checked and request_id not in self.selected:
            self.selected = [*self.selected, request_id]
        elif not checked:
            self.selected = [i for i in self.selected if i != request_id]

    @rx.event
    async def toggle_all(self, checked: bool):
        feed = await self.get_state(QueueFeed)
        self.selected = feed._row_ids() if checked else []
        self.all_selected = bool(checked)
        self.selection_epoch += 1

    async def _live_selection(self) -> list[int]:
        """The selected ids still in the queue (rows decided elsewhere drop out)."""
        feed = await self.get_state(QueueFeed)
        present = set(feed._row_ids())
        return [int(i) for i in self.selected if i in present]

    @rx.event
    def open_reject(self):
        self.error = ""
        if not self.selected:
            self.error = "Select at least one request."
            return
        self.reject_error = ""
        self.reject_open = True

    @rx.event
    def close_reject(self):
        self.reject_open = False

    @rx.event
    async def approve(self):
        await self._decide(approve=True, reason="")

    @rx.event
    async def reject(self, form: dict):
        await self._decide(approve=False, reason=form_fields(form).get("rejection_reason", ""))

    async def _decide(self, *, approve: bool, reason: str) -> None:
        self.message = self.error = self.reject_error = ""
        try:
            user = self._require_user()
            ids = await self._live_selection() or [int(i) for i in self.selected]
            with session_scope() as session:
                result = roles.decide(session, user, ids, approve=approve, reason=reason)
        except Invalid as exc:
            if "rejection_reason" in exc.errors:
                self.reject_error = exc.errors["rejection_reason"]
            else:
                self.error = str(exc)
            return
        except (DomainError, ValueError) as exc:
            self.error = str(exc) if isinstance(exc, DomainError) else "Unknown request."
            self.reject_open = False
            return
        self.reject_open = False
        self.selected = []
        self.all_selected = False
        self.selection_epoch += 1
        verb = "approved" if approve else "rejected"
        parts = [f"{len(result.decided)} request(s) {verb}."] if result.decided else []
        parts += [f"{name}'s request was already decided by {by}." for _id, name, by in result.already]
        self.message = " ".join(parts)
        grantees = [r.user_id for r in result.decided] if approve else []
        feed = await self.get_state(QueueFeed)  # this page at once; other officials via live
        feed.rows = rows_for(user)
        queue_changed(result.org_ids, also_user_ids=grantees)


class UserLookupState(AuthState):
    organizations: list[dict[str, str]] = []  # {"id", "label": "Name (ID)"}
    organization: str = ""
    query: str = ""
    rows: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    error: str = ""
    notice: str = ""
    sole_official_of: list[str] = []

    @rx.event
    def load(self):
        self.error = self.notice = ""
        try:
            user = self._require_user()
        except DomainError:
            return
        with session_scope() as session:
            self.organizations = organization_choices(session, roles.lookup_org_ids(session, user))
            self.sole_official_of = role_queries.sole_official_orgs(session, user)
        if self.organization not in {o["id"] for o in self.organizations}:
            self.organization = self.organizations[0]["id"] if self.organizations else ""
        self.query, self.page = "", 1
        self._search()

    def _search(self) -> None:
        self.error = self.notice = ""
        if not self.organization:
            self.rows, self.total = [], 0
            return
        user = self._require_user()
        with session_scope() as session:
            self.rows, self.total = role_queries.lookup_users(session, user, self.organization, self.query,
                                                              page=self.page)
        if self.query and not self.rows:
            self.notice = "No user matches."

    @rx.event
    def set_organization(self, value: str):
        """Choosing an organization lists all its users at once."""
        self.organization, self.query, self.page = as_text(value), "", 1
        try:
            self._search()
        except DomainError as exc:
            self.rows, self.total = [], 0
            self.error = str(exc)

    @rx.event
    def search(self, form: dict):
        form = form_fields(form)
        self.organization = str(form.get("organization", ""))
        self.query = str(form.get("user_id_or_email", "")).strip()
        self.page = 1
        if not self.organization:
            self.error = "Organization is required."
            return
        try:
            self._search()
        except DomainError as exc:
            self.rows, self.total = [], 0
            self.error = str(exc)

    @rx.event
    def go_to_page(self, page: int):
        try:
            page = int(page)
        except (TypeError, ValueError, OverflowError):  # null, "abc", NaN, infinity: the first page
            page = 1
        self.page = max(1, min(page, self.page_count))
        try:
            self._search()
        except DomainError as exc:
            self.error = str(exc)

    @rx.var
    def page_count(self) -> int:
        return max(1, -(-self.total // role_queries.PAGE_SIZE))

    @rx.event
    def export_csv(self):
        try:
            user = self._require_user()
            with session_scope() as session:
                data = role_queries.export_csv(session, user, self.organization)
        except DomainError as exc:
            self.error = str(exc)
            return None
        return rx.download(data=data, filename=f"{self.organization}-users-and-roles.csv")


class UserRolesState(AuthState):
    profile: dict[str, str] = {}
    grants: list[dict[str, str]] = []
    confirm_id: str = ""
    message: str = ""
    error: str = ""

    def _target_id(self) -> int:
        target = parse_id(self.router.url.path.rstrip("/").rsplit("/", 1)[-1])
        if target is None:
            raise ValueError("not a user id")
        return target

    def _reload(self) -> None:
        user = self._require_user()
        with session_scope() as session:
            target, self.grants = role_queries.user_roles(session, user, self._target_id())
        dob = target.date_of_birth.isoformat() if target.date_of_birth else ""
        self.profile = {"First Name": target.first_name, "Middle Name": target.middle_name,
                        "Last Name": target.last_name, "Date of Birth": dob, "Email Address": target.email,
                        "Phone Number": target.phone, "City": target.city, "State": target.state,
                        "ZIP Code": target.zip_code, "Country": target.country, "User ID": target.user_id}

    @rx.event
    def load(self):
        self.message = self.error = self.confirm_id = ""
        self.profile, self.grants = {}, []
        try:
            self._reload()
        except (DomainError, ValueError):
            self.error = "You can only view users of organizations you represent."

    @rx.event
    def ask_remove(self, grant_id: str):
        parsed = parse_id(grant_id)
        self.confirm_id = "" if parsed is None else str(parsed)

    @rx.event
    def cancel_remove(self):
        self.confirm_id = ""

    @rx.event
    async def remove(self, form: dict):
        self.message = self.error = ""
        try:
            user = self._require_user()
            with session_scope() as session:
                grant = roles.remove_role(session, user, int(self.confirm_id),
                                          reason=form_fields(form).get("reason", ""))
        except (DomainError, ValueError) as exc:
            self.error = str(exc) if isinstance(exc, DomainError) else "Unknown role."
            self.confirm_id = ""
            return
        self.confirm_id = ""
        self.message = f"Removed the {grant.role} role at {grant.organization_id}."
        try:
            self._reload()
        except DomainError:  # no tie left to your organizations: the profile is out of sight too
            self.grants, self.profile = [], {}
        queue_changed({grant.organization_id}, also_user_ids=[grant.user_id])
