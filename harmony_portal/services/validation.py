"""Field checks shared by sign-up and profile editing. Each returns a message or None."""

from __future__ import annotations

import re
from datetime import date

US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI".split()
)
USA_NAMES = {"usa", "us", "united states", "united states of america"}
_USER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$")
# Deliberately modest: one @, a dot in the domain, no spaces. Delivery proves the rest.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_PHONE = re.compile(r"^[0-9+()\-. ]{7,20}$")


def is_usa(country: str) -> bool:
    return country.strip().lower() in USA_NAMES


def user_id_problem(user_id: str) -> str | None:
    if not user_id.strip():
        return "User ID is required."
    if not _USER_ID.match(user_id.strip()):
        return ("User ID must be 3-64 characters: letters, digits, dot, dash or underscore, "
                "starting with a letter or digit.")
    return None


def email_problem(email: str) -> str | None:
    if not email.strip():
        return "Email Address is required."
    if len(email) > 254 or not _EMAIL.match(email.strip()):
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
    if phone.strip() and not _PHONE.match(phone.strip()):
        return "Phone Number may hold digits, spaces and + ( ) - . only."
    return None
