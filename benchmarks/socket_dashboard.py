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
from collections.abc import Callable
from urllib.parse import parse_qsl

from simple_websocket import Client, ConnectionClosed

from harmony_portal.server.session_cookie import SESSION_COOKIE

PAGE = "/security-official/requests/"
HYDRATE = "reflex___state____state.hydrate_and_load"


class ReflexSocket:
    """One tab's websocket. Raises simple_websocket's ConnectionError when the server refuses the handshake."""

    def __init__(self, base_url: str, *, token: str | None = None, session_token: str = "",
                 origin: str | None = None):
        self.messages: list[tuple[float, str]] = []  # (epoch ms, text) in arrival order
        self._changed = threading.Condition()
        self.closed = False
        url = base_url.replace("http://", "ws://") + f"/_event/?token={token or uuid.uuid4()}&EIO=4&transport=websocket"
        headers = {"Origin": origin or base_url}
        if session_token:
            headers["Cookie"] = f"{SESSION_COOKIE}={session_token}"
        self._ws = Client.connect(url, subprotocols=["0.10.1"], headers=headers)
        # Socket.io connect to Reflex's namespace at once. The server sent engine.io's open packet
        # when it accepted the socket, but simple_websocket keeps a packet that came in with the
        # handshake's reply unread until more data arrives: waiting for it here stalled one
        # connect in three for the whole timeout. The listener drops it when it surfaces.
        self._ws.send("40/_event,")
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def send(self, name: str, payload: dict | None = None, page: str = PAGE) -> None:
        # As the browser sends it: the path alone, the whole address, and the query apart.
        path, _, query = page.partition("?")
        router_data = {"pathname": path, "asPath": page}
        if query:
            router_data["query"] = dict(parse_qsl(query))
        event = {"name": name, "payload": payload or {}, "router_data": router_data}
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
                if message.startswith("0{"):  # engine.io open packet
                    continue
                with self._changed:
                    self.messages.append((time.time() * 1000, message))
                    self._changed.notify_all()
        except ConnectionClosed:
            with self._changed:
                self.closed = True
                self._changed.notify_all()  # nobody waits out a timeout for a socket that is gone

    def first_seen(self, text: str) -> float | None:
        """When ``text`` first arrived (epoch ms), or None."""
        return next((at for at, message in self.messages if text in message), None)

    def wait_for(self, text: str, timeout: float = 10) -> float | None:
        """When ``text`` first arrived (epoch ms), waiting up to ``timeout`` s; None if it never did."""
        found = self.wait_until(lambda message: text in message, timeout)
        return found[0] if found else None

    def wait_until(self, matches: Callable[[str], bool], timeout: float = 10) -> tuple[float, str] | None:
        """The first kept message that ``matches`` (arrival in epoch ms, text), waiting up to
        ``timeout`` s; None if none came. Only messages not yet looked at are tested again."""
        deadline = time.monotonic() + timeout
        checked = 0
        with self._changed:
            while True:
                for at, message in self.messages[checked:]:
                    if matches(message):
                        return at, message
                checked = len(self.messages)
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    return None
                self._changed.wait(left)

    def forget(self) -> None:
        """Drop the messages kept so far (a long-lived client waits only for what follows)."""
        with self._changed:
            self.messages.clear()

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
