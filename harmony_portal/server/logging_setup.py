"""Logs in production: one JSON object per line, secrets taken out before anything is written.

Outside production nothing is changed: development keeps Reflex's readable logs.
In production (``HARMONY_ENV`` not a development name) every record reaching the
root logger, and Granian's own, is written to stderr as::

    {"time": "2026-11-18T18:00:00.123Z", "level": "warning", "logger": "harmony_portal.server.web",
     "message": "...", "request_id": "9f2c...", "user_id": 42}

with ``event_id`` and ``event`` instead of ``request_id`` for websocket events, and
``exception`` when there is one. The message and exception text pass through
:func:`redact` first; the id fields are ours and are not.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

from harmony_portal.server import log_context
from harmony_portal.settings import Settings, get_settings

REDACTED = "[REDACTED]"
_HANDLER_MARK = "_harmony_json"

# scheme://user:password@host: keep the user and host, drop the password (DATABASE_URL, REDIS_URL, SMTP_URL).
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)([^@\s/]+)(@)", re.IGNORECASE)
_AUTHORIZATION = re.compile(
    r"(\b(?:proxy-)?authorization\b[\"']?\s*[:=]\s*[\"']?)(?:(?:bearer|basic|digest|token)\s+)?[^\"'\s,;}]+",
    re.IGNORECASE)
# A whole Cookie header: every cookie in it may be a session.
_COOKIE_HEADER = re.compile(r"(\b(?:set-)?cookie\b[\"']?\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|[^\n]*)", re.IGNORECASE)
# name=value, name: value, "name": "value": session cookie, passwords, tokens, codes (query strings too).
_SECRET_NAMES = "|".join((  # noqa: S105 - the names of secrets, not a secret
    "harmony_session", "session", "password", "passwd", "pwd", "new_password", "current_password",
    "confirm_password", "secret", "secret_key", "harmony_secret_key", "token", "access_token", "refresh_token",
    "code", "totp", "otp", "security_code", "recovery_code", "challenge_answer", "answer", "api_key", "apikey"))
_KEY_VALUE = re.compile(rf"(\b(?:{_SECRET_NAMES})\b[\"']?\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|[^\"'\s&;,}}]+)",
                        re.IGNORECASE)
_ARGON2 = re.compile(r"\$argon2[a-z]*\$[^\s\"']+")
# Long opaque strings: session tokens (43 URL-safe characters), TOTP secrets, client tokens.
_OPAQUE = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])")
# Where a line talks about second factors, bare codes are the codes themselves.
_TWO_FACTOR_TALK = re.compile(r"totp|\botp\b|security code|two-factor|2fa|recovery", re.IGNORECASE)
_TWO_FACTOR_CODE = re.compile(r"\b\d{6,8}\b|\b[a-z2-9]{5}-[a-z2-9]{5}\b")


def _looks_random(word: str) -> bool:
    # Two kinds of character at least: long identifiers (snake_case words) are one kind.
    kinds = (any(c.isupper() for c in word), any(c.islower() for c in word), any(c.isdigit() for c in word))
    return sum(kinds) >= 2


def redact(text: str) -> str:
    """``text`` with anything that looks like a secret replaced by ``[REDACTED]``."""
    if not text:
        return text
    text = _URL_PASSWORD.sub(rf"\1{REDACTED}\3", text)
    text = _AUTHORIZATION.sub(rf"\1{REDACTED}", text)
    text = _COOKIE_HEADER.sub(rf"\1{REDACTED}", text)
    text = _KEY_VALUE.sub(rf"\1{REDACTED}", text)
    text = _ARGON2.sub(REDACTED, text)
    text = _OPAQUE.sub(lambda m: REDACTED if _looks_random(m.group()) else m.group(), text)
    if _TWO_FACTOR_TALK.search(text):
        text = _TWO_FACTOR_CODE.sub(REDACTED, text)
    return text


class RedactSecrets(logging.Filter):
    """Rewrites a record's message and exception text through :func:`redact` (never drops it)."""

    _exceptions = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._exceptions.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class StampContext(logging.Filter):
    """Copies the request/event/user ids of the code that logged onto the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in log_context.current().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, ids, exception."""

    context_fields = ("request_id", "event_id", "event", "user_id")

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")
        line = {"time": stamp.replace("+00:00", "Z"), "level": record.levelname.lower(), "logger": record.name,
                "message": record.getMessage()}
        for name in self.context_fields:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


def json_handler(stream=None) -> logging.Handler:
    """A handler writing redacted JSON lines (Granian's logging config builds its handlers with this)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(StampContext())
    handler.addFilter(RedactSecrets())
    handler.setFormatter(JsonFormatter())
    setattr(handler, _HANDLER_MARK, True)
    return handler


def configure_logging(settings: Settings | None = None, stream=None) -> bool:
    """In production, send every log record to JSON lines on stderr; elsewhere change nothing.

    Safe to call more than once (the launcher and each worker's rxconfig both do).
    Returns whether JSON logging is on.
    """
    settings = settings or get_settings()
    if not settings.is_production:
        return False
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)  # ours, from an earlier call
    root.addHandler(json_handler(stream))
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    return True


def granian_log_config(settings: Settings | None = None) -> dict | None:
    """Granian's own loggers (its console and access handlers) through the same JSON handler in production."""
    if not (settings or get_settings()).is_production:
        return None
    handler = {"()": "harmony_portal.server.logging_setup.json_handler"}
    return {"handlers": {"console": handler, "access": handler}}
