"""What the passkey states share: asking the browser (``assets/passkeys.js``), the ceremony under way, and
handing the browser's answer to the server."""

from __future__ import annotations

import json
from collections.abc import Callable

import reflex as rx

from harmony_portal.events.off_loop import off_loop
from harmony_portal.services.errors import DomainError

# passkeys.js loads on its own: on a freshly loaded page the first request (the login page's autofill) may
# come before it, so each request waits for it (its "harmony-passkeys-ready" event; at most 10 seconds).
_READY = ("new Promise((ready) => { if (window.harmonyPasskeys) return ready(); "
          "window.addEventListener('harmony-passkeys-ready', ready, {once: true}); setTimeout(ready, 10000); })")
_UNSUPPORTED = json.dumps(json.dumps({"error": "NotSupportedError"}))


def ask_browser(kind: str, options: str, callback) -> rx.event.EventSpec:
    """Hand the server's options to the browser's passkey dialog; ``callback`` gets its answer (JSON)."""
    return rx.call_script(f"{_READY}.then(() => window.harmonyPasskeys ? "
                          f"window.harmonyPasskeys.{kind}({json.dumps(options)}) : {_UNSUPPORTED})", callback=callback)


class PasskeyCeremony(rx.State, mixin=True):
    """Mixed into a signed-in state (an AuthState) that adds a passkey or steps up with one."""

    _challenge_id: int = 0  # the ceremony under way (its challenge stays on the server)

    async def _answer(self, finish: Callable, answer: object) -> str | None:
        """``finish(active, challenge_id, answer, ip)`` off the event loop, for this tab's ceremony (used up
        whatever happens); returns the refusal to show, or None."""
        challenge_id, self._challenge_id = self._challenge_id, 0
        try:
            active = self._require_session(adding_passkey=True)
            await off_loop(finish, active, challenge_id, answer, self.router.session.client_ip or "")
        except DomainError as exc:
            return str(exc)
        return None
