"""Behind a TLS proxy: the scheme the browser used, from the trusted proxy hops only.

nginx (deploy/nginx.conf.template) talks plain HTTP to the portal and says
``X-Forwarded-Proto: https``. Without this, a redirect the portal builds (``/signup`` to
``/signup/``) pointed the browser at ``http://``: broken behind a load balancer that listens on
443 alone, and the path sent in clear. The header is believed only with
``HARMONY_TRUSTED_PROXY_HOPS`` set (a client could send it too), and only the value the nearest
trusted proxy wrote.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from harmony_portal.settings import get_settings

_SECURE = {"http": "https", "ws": "wss"}


def forwarded_scheme(headers: list[tuple[bytes, bytes]], hops: int) -> str | None:
    """The scheme the ``hops``-th proxy from us was asked with, or None (not said, or not trusted)."""
    if hops <= 0:
        return None
    values = [v.strip().lower() for name, raw in headers if name.lower() == b"x-forwarded-proto"
              for v in raw.decode("latin-1").split(",") if v.strip()]
    if len(values) < hops:
        return None
    proto = values[-hops]
    return proto if proto in ("http", "https") else None


def honour_forwarded_proto(app: ASGIApp) -> ASGIApp:
    """Wrap the ASGI app: requests that came over https to the trusted proxy are https here too."""

    async def with_scheme(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            proto = forwarded_scheme(scope.get("headers", []), get_settings().harmony_trusted_proxy_hops)
            if proto == "https" and scope.get("scheme") in _SECURE:
                scope = {**scope, "scheme": _SECURE[scope["scheme"]]}
        await app(scope, receive, send)

    return with_scheme
