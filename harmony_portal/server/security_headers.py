"""The portal's own security headers, on every HTTP response it sends (pages, assets, routes).

Without them another site could frame the Security Official's Approve button (clickjacking) on
a portal run without the nginx recipe. A response that sets one of these itself (an attachment's
sandboxing CSP) keeps its own. HSTS only when the portal's address is https.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harmony_portal.settings import get_settings

# 'unsafe-inline' for the inline hydration scripts of React Router's build, 'unsafe-eval' for
# Reflex's call_script, which the sign-in hand-off uses (removing both is a follow-up).
_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src {connect}; frame-ancestors 'none'; base-uri 'self'; "
        "form-action 'self'; object-src 'none'")


def security_headers() -> dict[str, str]:
    """The headers every response carries unless it set its own."""
    settings = get_settings()
    connect = ["'self'"]
    base = urlsplit(settings.harmony_base_url)
    if base.scheme == "https":  # the websocket behind a TLS proxy (older browsers' 'self' lacks wss:)
        connect.append(f"wss://{base.netloc}")
    headers = {
        "Content-Security-Policy": _CSP.format(connect=" ".join(connect)),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    }
    if base.scheme == "https":
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


def add_security_headers(app: ASGIApp) -> ASGIApp:
    """Wrap the ASGI app: every HTTP response gets the headers it did not set itself."""
    extra = [(name.lower().encode(), value.encode()) for name, value in security_headers().items()]

    async def with_headers(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _value in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *[(name, value) for name, value in extra if name not in present]]
            await send(message)

        await app(scope, receive, sending)

    return with_headers
