"""Route constants and builders: the only place a path is spelled out."""

import re
from urllib.parse import quote, urlencode, urlsplit

HOME = "/"
NOTIFICATIONS = "/#notifications"  # Home's Notifications section (the navigation's badge leads there)
LOGIN = "/login"
SIGNUP = "/signup"
TWO_FACTOR_SETUP = "/two-factor/setup"
PASSKEY_PROMPT = "/passkeys/offer"  # "Add a passkey?" after a sign-in with password and code
PASSKEY_REQUIRED = "/passkeys/required"  # "Add a passkey to continue": held by the passkey policy
FORGOT = "/forgot"
PROFILE = "/profile"
CONFIRM_EMAIL = "/profile/confirm-email"
HELP = "/help"
TERMS = "/terms"
ROLE_REQUEST = "/roles/request"
SECURITY_OFFICIAL = "/security-official"
USER_LOOKUP = "/security-official/users"
ROLE_REQUESTS = "/security-official/requests"
ACCESS_REVIEWS = "/security-official/reviews"
USER_ROLES = "/security-official/users/[user_id]"
ADMIN = "/admin"
PQ_LIST = "/pq"
PQ_NEW = "/pq/new"
PQ_DETAIL = "/pq/[pq_id]"
HELP_DESK = "/help-desk"
REPORT_OF_HARM = "/maintenance/report-of-harm"
# HTTP routes (not pages): they set and clear the HttpOnly session cookie.
SESSION_HANDOFF = "/auth/session"
SIGN_OUT = "/auth/signout"
# HTTP route (not a page): an attachment's bytes, for a signed-in user who may see them.
ATTACHMENT_DOWNLOAD = "/pq/attachments/{attachment_id:int}"
# HTTP routes (not pages): the Harmony Access Request form, filled in from a PQ (signed in), and blank (public).
ACCESS_FORM_DOWNLOAD = "/pq/{pq_id:int}/access-request.pdf"
BLANK_ACCESS_FORM = "/forms/harmony-access-request.pdf"
# HTTP route (not a page): the signing record of an Access Request form signed in the portal.
SIGNING_RECORD = "/pq/signing-record/{form_id:int}"
# HTTP route (not a page): the Audit Log as CSV, streamed, for administrators.
AUDIT_EXPORT = "/admin/audit-log.csv"
# HTTP route (not a page): an access review as CSV, for administrators.
REVIEW_EXPORT = "/admin/reviews/{review_id:int}.csv"
# HTTP route (not a page): database and Redis reachable? For load balancers; public, says nothing sensitive.
HEALTH = "/health"

PUBLIC_ROUTES = frozenset({LOGIN, SIGNUP, FORGOT, HELP, TERMS, CONFIRM_EMAIL, REPORT_OF_HARM})
_PAGES = frozenset({HOME, LOGIN, SIGNUP, TWO_FACTOR_SETUP, PASSKEY_PROMPT, PASSKEY_REQUIRED, FORGOT, PROFILE, HELP,
                    TERMS, ROLE_REQUEST, SECURITY_OFFICIAL, USER_LOOKUP, ROLE_REQUESTS, ACCESS_REVIEWS, ADMIN,
                    CONFIRM_EMAIL, PQ_LIST, PQ_NEW, HELP_DESK, REPORT_OF_HARM})
_DYNAMIC_PAGES = (re.compile(r"/security-official/users/[0-9]{1,12}"), re.compile(r"/pq/[0-9]{1,12}"))
_NOT_AFTER_SIGN_IN = frozenset({LOGIN, SIGNUP, FORGOT})


def confirm_email_url(token: str) -> str:
    """The page that applies a new email address (the link emailed to that address)."""
    return CONFIRM_EMAIL + "?" + urlencode({"token": token}, quote_via=quote)


def attachment_url(attachment_id: int) -> str:
    """Where an attachment downloads from (``web.attachment_href`` adds the backend's host in dev)."""
    return f"/pq/attachments/{int(attachment_id)}"


def access_form_url(pq_id) -> str:
    """Where a PQ's filled-in Access Request form downloads from; ``pq_id`` may be a Reflex Var."""
    return f"/pq/{pq_id}/access-request.pdf"


def signing_record_url(form_id) -> str:
    """Where a form's signing record downloads from; ``form_id`` may be a Reflex Var."""
    return f"/pq/signing-record/{form_id}"


def audit_export_url(filters: dict[str, str]) -> str:
    """The Audit Log export with a filter's query parameters (``audit_log.AuditFilter.query()``)."""
    return AUDIT_EXPORT + ("?" + urlencode(filters, quote_via=quote) if filters else "")
def resubmit_url(request_id: int) -> str:
    """Request a role, the form filled in from an earlier (denied) request."""
    return f"{ROLE_REQUEST}?resubmit={int(request_id)}"


def user_roles_url(user_id: int) -> str:
    return f"/security-official/users/{user_id}"


def pq_url(pq_id):
    """A PQ's page; ``pq_id`` is a number, or a Reflex Var holding one (the href is then a Var too)."""
    if isinstance(pq_id, int | str):
        return f"/pq/{int(pq_id)}"
    return "/pq/" + pq_id.to(str)


def login_url(next_path: str | None = None, reason: str | None = None) -> str:
    params = {}
    if next_path and safe_next(next_path) != HOME:
        params["next"] = next_path
    if reason:
        params["reason"] = reason
    return LOGIN + ("?" + urlencode(params, quote_via=quote) if params else "")


def is_page(path: str) -> bool:
    """True when ``path`` (no query) is one of the portal's pages."""
    return path in _PAGES or any(p.fullmatch(path) for p in _DYNAMIC_PAGES)


def safe_next(path: str | None) -> str:
    """Where to go after sign-in: one of the portal's own pages, or Home.

    Only a path that names a page passes. Browsers drop tabs and newlines inside
    URLs and read backslashes as slashes, so "/\t/evil.example" would leave the
    site: any control character, space or backslash sends the user Home.
    """
    if not path or any(ord(ch) <= 0x20 or ch in "\\\x7f" for ch in path):
        return HOME
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or parts.fragment or not parts.path.startswith("/"):
        return HOME
    page = parts.path.rstrip("/") or HOME
    if page in _NOT_AFTER_SIGN_IN or not is_page(page):
        return HOME
    return page + (f"?{parts.query}" if parts.query else "")


def session_handoff_url(code: str, next_path: str) -> str:
    return SESSION_HANDOFF + "?" + urlencode({"code": code, "next": safe_next(next_path)}, quote_via=quote)


def sign_out_url(reason: str = "signed-out") -> str:
    return SIGN_OUT + "?" + urlencode({"reason": reason})


def passkey_prompt_url(next_path: str) -> str:
    """"Add a passkey?", then on to ``next_path`` (a page of ours) whatever the answer."""
    return PASSKEY_PROMPT + "?" + urlencode({"next": safe_next(next_path)}, quote_via=quote)


def review_export_url(review_id) -> str:
    """Where a review's CSV downloads from; ``review_id`` may be a Reflex Var."""
    return f"/admin/reviews/{review_id}.csv"
