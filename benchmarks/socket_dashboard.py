"""A Role Requests dashboard without a browser: Reflex's own websocket protocol, nothing else.

``ReflexSocket`` connects to /_event (engine.io v4 over a websocket) with whatever
client token, cookie and origin it is given, sends events as a browser would,
answers pings and keeps every message it receives. The security tests use it to
try what a hostile client would; ``SocketDashboard`` is one official's Role
Requests page for the live benchmark. A hundred of these cost the machine almost
nothing, so the server's share of the latency shows alone.
"""

from __future__ import annotations

import json
import threading
import time
import uuid

from simple_websocket import Client, ConnectionClosed

from harmony_portal.web import SESSION_COOKIE

PAGE = "/security-official/requests/"
HYDRATE = "reflex___state____state.hydrate_and_load"


class ReflexSocket:
    """One tab's websocket. Raises simple_websocket's ConnectionError when the server refuses the handshake."""

    def __init__(self, base_url: str, *, token: str | None = None, session_token: str = "",
                 origin: str | None = None):
        self.messages: list[tuple[float, str]] = []  # (epoch ms, text) in arrival order
        self._changed = threading.Condition()
        url = base_url.replace("http://", "ws://") + f"/_event/?token={token or uuid.uuid4()}&EIO=4&transport=websocket"
        headers = {"Origin": origin or base_url}
        if session_token:
            headers["Cookie"] = f"{SESSION_COOKIE}={session_token}"
        self._ws = Client.connect(url, subprotocols=["0.10.1"], headers=headers)
        self._ws.receive(timeout=10)  # engine.io open packet
        self._ws.send("40/_event,")  # socket.io connect to Reflex's namespace
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def send(self, name: str, payload: dict | None = None, page: str = PAGE) -> None:
        event = {"name": name, "payload": payload or {}, "router_data": {"pathname": page, "asPath": page}}
        self._ws.send("42/_event," + json.dumps(["event", event]))

    def open_page(self, page: str = PAGE) -> None:
        """What a browser sends when a page opens: hydrate, then the page's on-load events."""
        self.send(HYDRATE, {}, page)

    def _listen(self) -> None:
        try:
            while True:
                message = self._ws.receive()
                if message == "2":  # engine.io ping
                    self._ws.send("3")
                    continue
                with self._changed:
                    self.messages.append((time.time() * 1000, message))
                    self._changed.notify_all()
        except ConnectionClosed:
            return

    def first_seen(self, text: str) -> float | None:
        """When ``text`` first arrived (epoch ms), or None."""
        return next((at for at, message in self.messages if text in message), None)

    def wait_for(self, text: str, timeout: float = 10) -> float | None:
        """When ``text`` first arrived (epoch ms), waiting up to ``timeout`` s; None if it never did."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                if (at := self.first_seen(text)) is not None:
                    return at
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._changed.wait(left)

    def close(self) -> None:
        self._ws.close()


class SocketDashboard(ReflexSocket):
    """One official's Role Requests page (the live benchmark's dashboard)."""

    def __init__(self, base_url: str, session_token: str):
        super().__init__(base_url, session_token=session_token)
        self.open_page(PAGE)

    def wait_ready(self, timeout: float = 30) -> bool:
        """The page's on-load ran (its feed is linked)."""
        return self.wait_for("selection_epoch_rx_state_", timeout) is not None
