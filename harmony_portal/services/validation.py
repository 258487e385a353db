"""Field checks shared by the services. Each ``*_problem`` returns a message or None.

The length limits of every text field a service takes live here (``MAX_LENGTHS``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date

from harmony_portal.services.errors import Invalid

US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI".split()
)
USA_NAMES = {"usa", "us", "united states", "united states of america"}
_USER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{2,63}")
# Deliberately modest: one @, a dot in the domain, no spaces. Delivery proves the rest.
# No control characters: the address goes into the To header.
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_PHONE = re.compile(r"[0-9+()\-. ]{7,20}")


def is_usa(country: str) -> bool:
    return country.strip().lower() in USA_NAMES


def user_id_problem(user_id: str) -> str | None:
    if not user_id.strip():
        return "User ID is required."
    if not _USER_ID.fullmatch(user_id.strip()):
        return ("User ID must be 3-64 characters: letters, digits, dot, dash or underscore, "
                "starting with a letter or digit.")
    return None


def email_problem(email: str) -> str | None:
    if not email.strip():
        return "Email Address is required."
    if len(email.strip()) > MAX_LENGTHS["email"] or not _EMAIL.fullmatch(email.strip()):
        return "Email Address must look like name@example.org."
    return None


def date_of_birth_problem(value: str, today: date) -> str | None:
    if not value.strip():
        return "Date of Birth is required."
    try:
        born = date.fromisoformat(value.strip())
    except ValueError:
        return "Date of Birth must be a real date (YYYY-MM-DD)."
    if born >= today:
        return "Date of Birth must be in the past."
    if born.year < today.year - 120:
        return "Date of Birth is too far in the past."
    return None


def address_problems(state: str, zip_code: str, zip_extension: str, country: str) -> dict[str, str]:
    """State and ZIP formats are checked for US addresses only."""
    problems: dict[str, str] = {}
    if not country.strip():
        problems["country"] = "Country is required."
    if is_usa(country):
        if state.strip() and state.strip().upper() not in US_STATES:
            problems["state"] = "State must be a two-letter US state code, such as AK."
        if zip_code.strip() and not re.fullmatch(r"\d{5}", zip_code.strip()):
            problems["zip_code"] = "ZIP Code must be 5 digits."
        if zip_extension.strip() and not re.fullmatch(r"\d{4}", zip_extension.strip()):
            problems["zip_extension"] = "ZIP Code Extension must be 4 digits."
    return problems


def phone_problem(phone: str) -> str | None:
    if phone.strip() and not _PHONE.fullmatch(phone.strip()):
        return "Phone Number may hold digits, spaces and + ( ) - . only."
    return None


# The longest value each text field accepts, in characters, keyed by field name. The model
# columns that store these fields have exactly these lengths (tests/services/test_validation.py
# keeps them in step), so an over-long value is refused here with a field error instead of
# failing in the database (PostgreSQL raises DataError; SQLite would store it silently).
MAX_LENGTHS: dict[str, int] = {
    "user_id": 64,
    "email": 254,
    "first_name": 80,
    "middle_name": 80,
    "last_name": 80,
    "phone": 32,
    "address_line1": 120,
    "address_line2": 120,
    "city": 80,
    "state": 40,
    "zip_code": 10,
    "zip_extension": 4,
    "country": 60,
    "challenge_question": 200,
    # Hashed, so no column bounds it; the limit keeps hashing cheap and answers sane.
    "challenge_answer": 200,
    "justification": 1000,
    "rejection_reason": 1000,
    "removal_reason": 1000,
    "organization_id": 32,
    "organization_name": 200,
    "provider_type": 80,
    "device_name": 60,
    "passkey_name": 60,
    "subject": 200,
    "details": 10000,
    "note": 10000,
    "assigned_resource": 120,
}

LABELS: dict[str, str] = {
    "user_id": "User ID", "email": "Email Address", "first_name": "First Name", "middle_name": "Middle Name",
    "last_name": "Last Name", "phone": "Phone Number",
    "address_line1": "Address Line 1", "address_line2": "Address Line 2", "city": "City", "state": "State",
    "zip_code": "ZIP Code", "zip_extension": "ZIP Code Extension", "country": "Country",
    "challenge_question": "Challenge Question", "challenge_answer": "Challenge Answer",
    "justification": "Justification", "rejection_reason": "Rejection Reason", "removal_reason": "Reason",
    "organization_id": "Organization ID", "organization_name": "Organization name",
    "provider_type": "Provider type", "device_name": "Device name", "passkey_name": "Passkey name",
    "subject": "Subject", "details": "Details", "note": "Note", "assigned_resource": "Assigned Resource",
}

# Free text that may span lines; every other field is one line and refuses control characters,
# which matters most for values that end up in email headers (names, organization names).
MULTILINE_FIELDS = frozenset({"justification", "rejection_reason", "removal_reason", "details", "note"})
_LINE_BREAKS = frozenset("\r\n\t")


def _has_control_character(value: str, *, multiline: bool) -> bool:
    """Unicode "Cc" characters (CR, LF, NUL, ...) and the line/paragraph separators."""
    for char in value:
        if multiline and char in _LINE_BREAKS:
            continue
        if unicodedata.category(char) == "Cc" or char in "\u2028\u2029":
            return True
    return False


def text_problem(field: str, value: str) -> str | None:
    """Why ``value`` (stripped) is refused for ``field``: too long or a control character."""
    label = LABELS[field]
    text = value.strip()
    limit = MAX_LENGTHS[field]
    if len(text) > limit:
        return f"{label} must be at most {limit} characters (it is {len(text)})."
    if _has_control_character(text, multiline=field in MULTILINE_FIELDS):
        if field in MULTILINE_FIELDS:
            return f"{label} must not contain control characters."
        return f"{label} must be a single line without control characters."
    return None


def required_text_problem(field: str, value: str) -> str | None:
    """Why ``value`` is refused for a required ``field``: empty, or as ``text_problem`` says."""
    return f"{LABELS[field]} is required." if not value.strip() else text_problem(field, value)


def text_problems(values: Mapping[str, str], fields: Mapping[str, str] | None = None) -> dict[str, str]:
    """Problems of several fields at once, keyed by form field.

    Args:
        values: field name (a key of MAX_LENGTHS) to the value typed.
        fields: optional map from a MAX_LENGTHS key to the form field the error belongs to,
            for forms whose field names differ (the organization form's ``id`` and ``name``).
    """
    fields = fields or {}
    problems: dict[str, str] = {}
    for name, value in values.items():
        if problem := text_problem(name, value):
            problems[fields.get(name, name)] = problem
    return problems


def check_text(values: Mapping[str, str], fields: Mapping[str, str] | None = None) -> None:
    """Raise Invalid with every field whose text is refused."""
    if problems := text_problems(values, fields):
        raise Invalid(problems)
