"""What a log line is about: the HTTP request or websocket event, and the user, when known.

Context variables, not globals: every HTTP request and every Reflex event runs in
its own task (and threads started from it get a copy), so one user's id never
lands on another's log line. The HTTP middleware below binds a request id; the
Reflex middleware in ``event_log`` binds an event id; whoever resolves the session
binds the user. The JSON log formatter reads them (``logging_setup``).
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar, Token

_request_id: ContextVar[str | None] = ContextVar("harmony_request_id", default=None)
_event_id: ContextVar[str | None] = ContextVar("harmony_event_id", default=None)
_event_name: ContextVar[str | None] = ContextVar("harmony_event_name", default=None)
_user_id: ContextVar[int | None] = ContextVar("harmony_user_id", default=None)
# A proxy's request id (nginx's $request_id is 32 hex digits) is kept so lines can be matched
# across both logs; anything else is replaced rather than written into the log.
_INBOUND_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
REQUEST_ID_HEADER = "X-Request-ID"


def new_id() -> str:
    """A short random id: unique enough to find one request's lines, too short to look like a secret."""
    return secrets.token_hex(8)


def bind_request(inbound: str = "") -> tuple[str, list[Token]]:
    """Start an HTTP request's context; returns its id and the tokens that undo it."""
    request_id = inbound if _INBOUND_ID.fullmatch(inbound or "") else new_id()
    tokens = [_request_id.set(request_id), _event_id.set(None), _event_name.set(None), _user_id.set(None)]
    return request_id, tokens


def bind_event(name: str) -> str:
    """Start a websocket event's context (its task's own copy ends with the task)."""
    event_id = new_id()
    _request_id.set(None)
    _event_id.set(event_id)
    _event_name.set(name)
    _user_id.set(None)
    return event_id


def bind_user(user_id: int | None) -> None:
    """The signed-in user this request or event acts for (the row id: no name or email in logs)."""
    _user_id.set(user_id)


def reset(tokens: list[Token]) -> None:
    for token in reversed(tokens):
        token.var.reset(token)


def current() -> dict[str, str | int]:
    """The fields known here and now, for a log line."""
    fields = {"request_id": _request_id.get(), "event_id": _event_id.get(), "event": _event_name.get(),
              "user_id": _user_id.get()}
    return {name: value for name, value in fields.items() if value is not None}


class RequestContextMiddleware:
    """ASGI: every HTTP request gets a request id in its log lines and in the response's X-Request-ID."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        inbound = dict(scope.get("headers") or []).get(REQUEST_ID_HEADER.lower().encode(), b"")
        request_id, tokens = bind_request(inbound.decode("latin-1"))

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            reset(tokens)
