"""Hostile events: every public handler of every state class, sent junk by three kinds of caller.

A websocket client can name any event handler and pass it anything JSON can carry.
For a signed-in provider with no roles, a Security Official of another organization
and a signed-out client, every handler (found by walking Reflex's state tree, so a
new one is covered without editing this file) is called in a random order with
wrong types, huge strings, SQL and HTML fragments, out-of-range numbers, other
organizations' ids and form dicts with unexpected keys. For every call:

1. no exception escapes the handler (a refusal is a message in the state);
2. nothing changes in the database beyond what the caller may do to themselves
   (or, for the official, inside the organization they represent);
3. nothing of the victim organization's users reaches the caller: not in any
   state var, nor in what the handler returns (a download, say).
"""

from __future__ import annotations

import functools
import inspect
import json
import re
import traceback
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from reflex.state import State
from sqlmodel import select

from harmony_portal.db import session_scope
from harmony_portal.models import (
    EmailChange,
    EmailPreference,
    Notification,
    Organization,
    OrgRole,
    OutboxEmail,
    RecoveryCode,
    RoleRequest,
    TotpDevice,
    User,
    UserSession,
    utc_now,
)
from harmony_portal.services import security
from harmony_portal.services.notifications.notify import queue_email
from harmony_portal.services.signin import rate_limits
from harmony_portal.vocabulary import SECURITY_OFFICIAL
from tests.state.conftest import run_async, state_with_cookie

SQLITE_ONLY = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # keeps the file fast

# ---------------------------------------------------------------------------------------------
# The handlers, found the way Reflex finds them.


@dataclass(frozen=True)
class Handler:
    cls: type
    name: str
    fn: object
    params: tuple[inspect.Parameter, ...]
    form_keys: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        return f"{self.cls.__name__}.{self.name}"


def _form_keys(fn) -> tuple[str, ...]:
    """The keys a form handler reads: ``form.get("...")`` and any set of field names it uses."""
    source = inspect.getsource(fn)
    keys = set(re.findall(r"""form\.get\(["'](\w+)["']""", source))
    for name, value in fn.__globals__.items():
        if (name in source and isinstance(value, (set, frozenset)) and value
                and all(isinstance(v, str) for v in value)):
            keys |= value
    return tuple(sorted(keys))


def _state_classes() -> list[type]:
    found, pending = [], [State]
    while pending:
        cls = pending.pop()
        pending.extend(cls.get_substates())
        if cls.__module__.startswith("harmony_portal"):
            found.append(cls)
    return sorted(found, key=lambda c: c.get_full_name())


def _handlers() -> list[Handler]:
    handlers = []
    for cls in _state_classes():
        for name, handler in sorted(cls.event_handlers.items()):
            if name.startswith("_"):
                continue
            params = tuple(inspect.signature(handler.fn).parameters.values())[1:]  # after self
            handlers.append(Handler(cls, name, handler.fn, params, _form_keys(handler.fn)))
    return handlers


HANDLERS = _handlers()
# Ending one's own session is allowed, but the rest of the sequence would then run signed out.
_LAST = {"logout"}

# ---------------------------------------------------------------------------------------------
# The world: a victim organization, an organization of the attacking official, a provider.

CALLER_PASSWORD = "Caller-Own-Password-Tundra-42"  # callers know theirs; nobody knows the victims'
VICTIM_PASSWORD = "Victim-Password-Nobody-Knows-17"
VICTIM_JUSTIFICATION = "VictimSecretJustification: night-shift charting access"
MARKERS = ("VictimSecretName", "VictimSecretSurname", "VictimSecretCity", "VictimSecretJustification",
           "victim-secret@example.org", "victim-staff-secret@example.org", "victim-req-secret@example.org")
# Cheap hashes: the handlers' behaviour is under test here, not argon2's cost (about 0.1 s a verify).
_CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class World:
    """The callers and the victims' ids (a plain class: hypothesis's reports print its repr)."""

    def __init__(self, provider: User, official: User, victim_ids: dict[str, object]):
        self.provider, self.official, self.victim_ids = provider, official, victim_ids
        self.first_problems: list[str] = []

    def __repr__(self) -> str:
        return f"World(provider={self.provider.id}, official={self.official.id})"


@pytest.fixture
def world(app_db, make, monkeypatch):
    monkeypatch.setattr(security, "_hasher", _CHEAP)
    monkeypatch.setattr(security, "_DUMMY_HASH", _CHEAP.hash("not-a-real-password"))
    with session_scope() as s:
        victim_org, other_org = make.org(s, "VIC1", "Victim Care Home"), make.org(s, "OTH1", "Other Clinic")
        make.org(s, "HOME1", "Provider Home")
        victim_so = make.user(s, "victim.so", first_name="VictimSecretName", last_name="VictimSecretSurname",
                              email="victim-secret@example.org", city="VictimSecretCity")
        victim_staff = make.user(s, "victim.staff", first_name="VictimSecretName",
                                 email="victim-staff-secret@example.org")
        victim_req = make.user(s, "victim.req", first_name="VictimSecretName",
                               email="victim-req-secret@example.org")
        victim_locked = make.user(s, "victim.locked", first_name="VictimSecretName",
                                  locked_until=utc_now() + timedelta(hours=1))
        official = make.user(s, "other.so", first_name="Otto", last_name="Official")
        provider = make.user(s, "plain.provider", first_name="Pat", last_name="Provider")
        other_req = make.user(s, "other.req", first_name="Olga", last_name="Asker")
        users = [victim_so, victim_staff, victim_req, victim_locked, official, provider, other_req]
        for u in users:
            u.password_hash = _CHEAP.hash(CALLER_PASSWORD if u in (official, provider) else VICTIM_PASSWORD)
            u.challenge_answer_hash = _CHEAP.hash("juneau")
            s.add(u)
        so_grant = make.grant(s, victim_so, victim_org)
        staff_grant = make.grant(s, victim_staff, victim_org, "Staff")
        make.grant(s, official, other_org)
        for u in users:
            make.enrol(s, u)
        make.enrol(s, victim_staff)  # a second device, so removing one would be possible
        make.enrol(s, provider)
        request = make.request(s, victim_req, victim_org, justification=VICTIM_JUSTIFICATION)
        failed = queue_email(s, "victim-req-secret@example.org", "Your role request was approved", "Hello")
        failed.failed_at, failed.attempts, failed.last_error = utc_now(), 8, "connection lost"
        make.request(s, other_req, other_org, justification="Olga needs the schedule.")
        s.flush()
        devices = [d.id for d in s.exec(select(TotpDevice).where(TotpDevice.user_id == victim_staff.id))]
        victim_ids = {"users": [victim_so.id, victim_staff.id, victim_req.id, victim_locked.id],
                      "user_ids": ["victim.so", "victim.staff", "victim.req", "victim.locked"],
                      "grants": [so_grant.id, staff_grant.id], "requests": [request.id], "devices": devices,
                      "outbox": [failed.id],
                      "org": "VIC1", "emails": ["victim-secret@example.org", "victim-staff-secret@example.org"]}
        s.expunge_all()
    return World(provider=provider, official=official, victim_ids=victim_ids)


# ---------------------------------------------------------------------------------------------
# Hostile arguments.

SQL = ["1; DROP TABLE user--", "' OR 1=1 --", "1 OR 1=1", "'; DELETE FROM rolerequest; --", "%", "_%", "\\"]
HTML = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)",
        "\"><svg onload=alert(1)>", "{{7*7}}", "${7*7}", "=cmd|' /C calc'!A0"]
ODD = ["", " ", "\x00", "\u202e\u0000", "../../etc/passwd", "0", "-1", "1e309", "NaN", "true", "null",
       "１２３", "²", "9" * 40]
HUGE = "A" * 100_000
UNEXPECTED_KEYS = ["is_admin", "user_id", "organization_id", "status", "id", "role", "__class__", "password_hash",
                   "agree_terms", "step_up", ""]


def _victim_values(ids: dict) -> tuple:
    values = [ids["org"], *ids["user_ids"], *ids["emails"]]
    for key in ("users", "grants", "requests", "devices", "outbox"):
        values += [*ids[key], *(str(i) for i in ids[key])]
    return tuple(values)


def _hostile(victim_values: tuple):
    scalars = st.one_of(
        st.none(), st.booleans(),
        st.integers(min_value=-2**70, max_value=2**70),
        st.sampled_from([0, -1, 2**31, 2**63, -2**63, 10**30]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=20),
        st.sampled_from(SQL + HTML + ODD + list(victim_values) + [CALLER_PASSWORD]),
        st.just(HUGE),
    )
    return st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(UNEXPECTED_KEYS) | st.text(max_size=6), inner, max_size=3)),
        max_leaves=4)


def _is_id(name: str) -> bool:
    return name.endswith("_id") or name in ("organization", "value")


def _form(keys: tuple[str, ...], value, victim):
    any_key = st.sampled_from(list(keys) + UNEXPECTED_KEYS) | st.text(max_size=8)
    strategies = [st.dictionaries(any_key, value, max_size=6), value]  # a junk dict, or not a dict at all
    if keys:  # every field the form has, each hostile (id fields often the victims'), plus unexpected extras
        strategies.insert(0, st.fixed_dictionaries({k: victim | value if _is_id(k) else value for k in keys},
                                                   optional={k: value for k in UNEXPECTED_KEYS if k not in keys}))
    return st.one_of(*strategies)


def _arguments(handler: Handler, hostile, victim):
    strategies = []
    for param in handler.params:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if handler.name == "setvar" and param.name == "var_name":
            names = sorted(set(handler.cls.base_vars) | {"organization", "is_hydrated", "selected", "rows",
                                                          "_pending_user_id", "is_admin"})
            strategies.append(st.sampled_from(names) | hostile)
        elif param.name == "form" or param.annotation in (dict, "dict"):
            strategies.append(_form(handler.form_keys, hostile, victim))
        elif _is_id(param.name):  # half the time one of the victims' ids: the likeliest attack
            strategies.append(victim | hostile)
        else:
            strategies.append(hostile)
    return st.tuples(*strategies)


@functools.cache
def _argument_strategies(victim_values: tuple) -> dict[Handler, st.SearchStrategy]:
    """Built once: hypothesis spends most of its time validating freshly built strategies."""
    hostile, victim = _hostile(victim_values), st.sampled_from(victim_values)
    return {h: _arguments(h, hostile, victim) for h in HANDLERS}


@st.composite
def _calls(draw, ids: dict):
    arguments = _argument_strategies(_victim_values(ids))
    order = draw(st.permutations(HANDLERS))
    order = [h for h in order if h.name not in _LAST] + [h for h in order if h.name in _LAST]
    return [(h, draw(arguments[h], label=h.label)) for h in order]


# ---------------------------------------------------------------------------------------------
# What the database holds that a caller must not change.


def _snapshot() -> dict[str, dict]:
    with session_scope() as s:
        return {
            "organization": {o.id: (o.name, o.provider_type) for o in s.exec(select(Organization))},
            "orgrole": {r.id: (r.user_id, r.organization_id, r.role) for r in s.exec(select(OrgRole))},
            "rolerequest": {r.id: (r.user_id, r.organization_id, r.role, r.status)
                            for r in s.exec(select(RoleRequest))},
            "user": {u.id: (u.email, u.is_active, u.is_admin, u.locked_until) for u in s.exec(select(User))},
            "totpdevice": {d.id: (d.user_id, d.confirmed_at is not None) for d in s.exec(select(TotpDevice))},
            "recoverycode": {c.id: (c.user_id, c.used_at is not None) for c in s.exec(select(RecoveryCode))},
            "usersession": {x.id: (x.user_id, x.ended_at is None) for x in s.exec(select(UserSession))},
            "emailchange": {e.id: (e.user_id, e.new_email, e.used_at is not None)
                            for e in s.exec(select(EmailChange))},
            "emailpreference": {(p.user_id, p.category): (p.user_id, p.send) for p in s.exec(select(EmailPreference))},
            "notification": {n.id: (n.user_id, n.read_at is not None) for n in s.exec(select(Notification))},
            "outboxemail": {e.id: (e.failed_at is not None, e.attempts) for e in s.exec(select(OutboxEmail))},
        }


def _officiated(snapshot: dict, caller_id: int | None) -> set[str]:
    """The organizations the caller is a Security Official of."""
    return {org for user_id, org, role in snapshot["orgrole"].values()
            if user_id == caller_id and role == SECURITY_OFFICIAL}


# Anyone may fail to sign in as anyone: the fifth failure locks that account (by design).
_SIGN_IN_HANDLERS = {"LoginState", "ForgotState"}


def _allowed(table: str, key, before, after, *, caller: int | None, orgs: set[str], new_users: set[int],
             handler: Handler) -> bool:
    """Whether this one row's change is something the caller may do. Keep this small."""
    own = {caller} | new_users if caller is not None else set(new_users)
    if table == "orgrole":  # an official approves or removes roles in their own organization
        return (before or after)[1] in orgs
    if table == "rolerequest":
        if before is None:
            return after[0] == caller and after[3] == "pending"
        if after is None or before[:3] != after[:3] or before[3] != "pending":
            return False
        return (after[0] == caller and after[3] == "cancelled") or (
            before[1] in orgs and after[3] in ("approved", "rejected"))
    if table == "user":
        if before is None:  # signing up
            return handler.label == "SignUpState.submit" and not after[2]
        if after is None or before[:3] != after[:3]:
            return False
        newly_locked = before[3] is None and after[3] is not None
        # A wrong password, code or step-up of one's own counts too.
        return newly_locked and (handler.cls.__name__ in _SIGN_IN_HANDLERS or key == caller)
    if table in ("totpdevice", "recoverycode", "usersession", "emailchange", "emailpreference"):
        return (before or after)[0] in own
    if table in ("notification", "outboxemail"):
        # New ones come with any change the caller may make (a request tells its deciders); an
        # existing one changes only when it is the caller's own notification being read. An email
        # already in the outbox (the victim's failed one) is never put back by a non-administrator.
        return before is None or (table == "notification" and after is not None and before[0] == after[0]
                                  and before[0] in own)
    return False  # organizations, and anything else


def _unexpected_changes(before: dict, after: dict, *, caller: int | None, orgs: set[str],
                        handler: Handler) -> list[str]:
    new_users = set(after["user"]) - set(before["user"])
    problems = []
    for table, rows in after.items():
        old = before[table]
        for key in set(old) | set(rows):
            was, now = old.get(key), rows.get(key)
            if was == now:
                continue
            if not _allowed(table, key, was, now, caller=caller, orgs=orgs, new_users=new_users, handler=handler):
                problems.append(f"{table} {key}: {was!r} -> {now!r}")
    return problems


# ---------------------------------------------------------------------------------------------
# Calling a handler as Reflex would, and the three callers.


async def _invoke(handler: Handler, state, args: tuple) -> list:
    """Run the handler to the end; returns what it gave back (events, downloads)."""
    result = handler.fn(state, *args)
    if inspect.isawaitable(result):
        result = await result
    if inspect.isasyncgen(result):
        return [item async for item in result]
    if inspect.isgenerator(result):
        return list(result)
    return [result]


def _framework_refusal(handler: Handler, args: tuple, exc: Exception) -> bool:
    """Reflex's own ``setvar`` reaches only ``set_<name>`` setters; for any other name Reflex
    raises before our code runs (and its event processing turns that into an error toast)."""
    if handler.name != "setvar" or not isinstance(exc, (AttributeError, TypeError)):
        return False
    name = args[0]
    return not isinstance(name, str) or not hasattr(handler.cls, "set_" + name)


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) < 300 else text[:300] + f"... ({len(text)} chars)"


def _exercise(calls, *, state_of, caller: int | None, markers: tuple[str, ...], first: list[str]) -> None:
    rate_limits.reset()  # a fresh budget for each example, so calls go deeper than the rate limit

    async def scenario() -> list[str]:
        problems: list[str] = []
        root = await state_of(State)  # one tab: its states keep what earlier calls left in them
        after = _snapshot()
        for handler, args in calls:
            state = await root.get_state(handler.cls)
            before = after  # nothing else writes these tables between two calls
            try:
                returned = await _invoke(handler, state, args)
            except Exception as exc:  # noqa: BLE001  (that is the finding)
                if not _framework_refusal(handler, args, exc):
                    problems.append(f"{handler.label}{_shown(args)} raised "
                                    f"{''.join(traceback.format_exception(exc)[-3:])}")
                returned = []
            after = _snapshot()
            changes = _unexpected_changes(before, after, caller=caller, orgs=_officiated(before, caller),
                                          handler=handler)
            if changes:
                problems.append(f"{handler.label}{_shown(args)} changed: {changes}")
            seen = json.dumps(root.dict(), default=str) + repr(returned)
            if leaked := [m for m in markers if m in seen]:
                problems.append(f"{handler.label}{_shown(args)} showed {leaked}")
        return problems

    problems = run_async(scenario())
    # Hypothesis replays a failing example to report it, on a database the first run changed:
    # report what the first run found.
    first.extend(problems if not first else [])
    assert not problems, "\n".join(first)


def _markers(calls) -> tuple[str, ...]:
    """Victim markers the caller did not type in themselves (an echo of one's own input is no leak)."""
    typed = json.dumps([args for _h, args in calls], default=str)
    return tuple(m for m in MARKERS if m not in typed)


# No example database (it would write .hypothesis/ into the checkout) and no shrinking (minutes,
# over sequences of ~70 calls): the report names every offending call and its arguments.
_SETTINGS = settings(max_examples=40, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                            HealthCheck.data_too_large])


@SQLITE_ONLY
@_SETTINGS
@given(data=st.data())
def test_a_provider_without_roles(world, signed_in, data):
    calls = data.draw(_calls(world.victim_ids))
    _exercise(calls, state_of=signed_in(world.provider), caller=world.provider.id, markers=_markers(calls),
              first=world.first_problems)


@SQLITE_ONLY
@_SETTINGS
@given(data=st.data())
def test_a_security_official_of_another_organization(world, signed_in, data):
    calls = data.draw(_calls(world.victim_ids))
    _exercise(calls, state_of=signed_in(world.official), caller=world.official.id, markers=_markers(calls),
              first=world.first_problems)


@SQLITE_ONLY
@_SETTINGS
@given(data=st.data())
def test_a_signed_out_client(world, data):
    calls = data.draw(_calls(world.victim_ids))

    async def state_of(cls):
        return await state_with_cookie(cls, "")

    _exercise(calls, state_of=state_of, caller=None, markers=_markers(calls),
              first=world.first_problems)


def test_every_state_class_and_handler_is_covered():
    """The walk finds what the app registers, the live feed included."""
    labels = {h.label for h in HANDLERS}
    assert {"AdminUsersState.unlock", "RoleRequestsState.approve", "HomeState.cancel_request",
            "LoginState.submit_password", "QueueFeed.setvar", "AuthState.logout", "AdminOutboxState.retry",
            "NotificationsState.link", "NotificationsState.mark_all_read", "NotificationFeed.setvar",
            "ProfileState.save_email_choices"} <= labels
    assert len({h.cls for h in HANDLERS}) >= 14
