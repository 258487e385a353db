"""Route constants and builders: the only place a path is spelled out."""

from urllib.parse import quote, urlencode

HOME = "/"
LOGIN = "/login"
SIGNUP = "/signup"
TWO_FACTOR_SETUP = "/two-factor/setup"
FORGOT = "/forgot"
PROFILE = "/profile"
CONFIRM_EMAIL = "/profile/confirm-email"
HELP = "/help"
TERMS = "/terms"
ROLE_REQUEST = "/roles/request"
SECURITY_OFFICIAL = "/security-official"
USER_LOOKUP = "/security-official/users"
ROLE_REQUESTS = "/security-official/requests"
USER_ROLES = "/security-official/users/[user_id]"
ADMIN = "/admin"

PUBLIC_ROUTES = frozenset({LOGIN, SIGNUP, FORGOT, HELP, TERMS, CONFIRM_EMAIL})


def confirm_email_url(token: str) -> str:
    """The page that applies a new email address (the link emailed to that address)."""
    return CONFIRM_EMAIL + "?" + urlencode({"token": token}, quote_via=quote)


def user_roles_url(user_id: int) -> str:
    return f"/security-official/users/{user_id}"


def login_url(next_path: str | None = None, reason: str | None = None) -> str:
    params = {}
    if next_path and safe_next(next_path) != HOME:
        params["next"] = next_path
    if reason:
        params["reason"] = reason
    return LOGIN + ("?" + urlencode(params, quote_via=quote) if params else "")


def safe_next(path: str | None) -> str:
    """Where to go after sign-in: only a local path (never another site)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return HOME
    if path.split("?")[0] in {LOGIN, SIGNUP, FORGOT}:
        return HOME
    return path
