"""A Role Requests dashboard without a browser: Reflex's own websocket protocol, nothing else.

It connects to /_event (engine.io v4 over a websocket), sends the same hydrate-and-load
event a browser sends for /security-official/requests with the session cookie's value,
answers pings, and records when a delta naming a given requester arrives. A hundred of
these cost the machine almost nothing, so the server's share of the latency shows alone.
"""

from __future__ import annotations

import json
import threading
import time
import uuid

from simple_websocket import Client, ConnectionClosed

from harmony_portal.state.base import AuthState

PAGE = "/security-official/requests/"


class SocketDashboard:
    def __init__(self, base_url: str, session_token: str):
        self.seen: dict[str, float] = {}  # text -> epoch ms it first arrived
        self.ready = threading.Event()
        self._watch: set[str] = set()
        url = base_url.replace("http://", "ws://") + f"/_event/?token={uuid.uuid4()}&EIO=4&transport=websocket"
        self._ws = Client.connect(url, subprotocols=["0.10.1"])
        self._ws.receive(timeout=10)  # engine.io open packet
        hydrate = {"name": "reflex___state____state.hydrate_and_load",
                   "payload": {"vars": {f"{AuthState.get_full_name()}.session_token_rx_state_": session_token}},
                   "router_data": {"pathname": PAGE, "asPath": PAGE}}
        self._ws.send("40/_event," + json.dumps({"event": hydrate}))
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def watch(self, text: str) -> None:
        self._watch.add(text)

    def _listen(self) -> None:
        try:
            while True:
                message = self._ws.receive()
                now = time.time() * 1000
                if message == "2":  # engine.io ping
                    self._ws.send("3")
                    continue
                if "selection_epoch_rx_state_" in message:  # the page's on-load ran: feed linked
                    self.ready.set()
                for text in list(self._watch):
                    if text in message and text not in self.seen:
                        self.seen[text] = now
        except ConnectionClosed:
            return

    def close(self) -> None:
        self._ws.close()
