"""A network blip on one node (a laptop waking, wifi changing): the socket drops and comes back to
the same node. Nothing typed is lost, and a save is one save (the two-node test covers a node dying)."""

from playwright.sync_api import expect
from sqlmodel import select

from harmony_portal.models import PQ, RoleRequest
from tests.e2e.helpers import make_account, sign_in

# The network, as the page sees it: every open socket can be cut, and new ones refused for a while
# (as wifi dropping does); socket.io then sees "transport close" and reconnects, as after a real blip.
_CUTTABLE_NETWORK = """
(() => {
  const Real = window.WebSocket;
  const open = new Set();
  let downUntil = 0, cutAfterNextEvent = 0;
  const cut = (ms) => { downUntil = Date.now() + ms; open.forEach((s) => s.close()); };
  class Cuttable extends Real {
    constructor(...args) {
      super(...args);
      open.add(this);
      this.addEventListener("close", () => open.delete(this));
      if (Date.now() < downUntil) setTimeout(() => this.close(), 0);
    }
    send(data) {
      super.send(data);
      // A socket.io event ("42..."): it left, and the network goes before any answer can come.
      if (cutAfterNextEvent && typeof data === "string" && data.startsWith("42")) {
        const ms = cutAfterNextEvent;
        cutAfterNextEvent = 0;
        cut(ms);
      }
    }
  }
  window.WebSocket = Cuttable;
  window.__cutNetwork = cut;
  window.__cutNetworkAfterNextEvent = (ms) => { cutAfterNextEvent = ms; };
})();
"""


def _blip(page, sockets: list, during=None, seconds: float = 3) -> None:
    """Cut the tab's socket and keep the network down for ``seconds`` (doing ``during`` meanwhile);
    then the tab reconnects to the same node on a new socket."""
    dropped = sockets[-1]
    page.evaluate("ms => window.__cutNetwork(ms)", int(seconds * 1000))
    _wait_until(page, dropped.is_closed, "the socket never dropped")
    if during:
        during()
    _wait_until(page, lambda: not sockets[-1].is_closed() and sockets[-1] is not dropped, "no new socket")


def _wait_until(page, condition, failure: str, seconds: float = 20) -> None:
    for _ in range(int(seconds * 10)):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError(failure)


def test_a_blip_mid_typing_keeps_every_character_and_save_pq_during_a_blip_files_once(page, portal):
    provider, secret = make_account(portal, "blip", first="Bly", roles=(("123", "Staff"),))
    sign_in(page, portal, provider, secret)
    sockets = []
    page.on("websocket", lambda socket: sockets.append(socket))
    page.add_init_script(_CUTTABLE_NETWORK)
    page.goto(portal.url + "/pq/new")
    page.get_by_label("Provider Name").select_option(value="123")
    page.get_by_label("Inquiry Type").select_option("General Question")
    page.get_by_label("Subject").fill("Typed across a blip")
    page.get_by_label("Details").fill("Before the wifi dropped.")
    _blip(page, sockets, during=lambda: page.get_by_label("Details").press_sequentially(
        " While it was down.", delay=10))
    page.wait_for_timeout(1_000)  # the page rehydrated from the server: nothing typed is drawn over
    expect(page.get_by_label("Subject")).to_have_value("Typed across a blip")
    expect(page.get_by_label("Details")).to_have_value("Before the wifi dropped. While it was down.")

    # Save PQ pressed while the socket is down: sent once it is back, and filed once.
    _blip(page, sockets, during=lambda: page.get_by_role("button", name="Save PQ").click())
    expect(page.get_by_role("status").filter(has_text="The save was successful")).to_be_visible(timeout=20_000)
    with portal.session() as s:
        filed = s.exec(select(PQ).where(PQ.created_by_id == provider.id)).all()
    assert [(p.subject, p.details) for p in filed] == [
        ("Typed across a blip", "Before the wifi dropped. While it was down.")]


def test_a_blip_that_takes_submit_requests_answer_ends_on_home_with_one_request(page, portal):
    """The request reaches the server but the network goes before its answer: back on a new socket,
    the page sends the request again with its form's key, and the server hands back the one filed."""
    requester, secret = make_account(portal, "blipreq", first="Remy")
    sign_in(page, portal, requester, secret)
    sockets = []
    page.on("websocket", lambda socket: sockets.append(socket))
    page.add_init_script(_CUTTABLE_NETWORK)
    page.goto(portal.url + "/roles/request")
    page.get_by_label("Organization").select_option("123")
    page.get_by_label("Role").select_option("Staff")
    page.get_by_label("Justification").fill("Starting on the night shift next week.")
    dropped = sockets[-1]
    page.evaluate("window.__cutNetworkAfterNextEvent(1000)")  # Submit Request leaves; its answer can't come
    page.get_by_role("button", name="Submit Request").click()
    _wait_until(page, dropped.is_closed, "the socket never dropped")
    expect(page.get_by_role("heading", name="Welcome, Remy")).to_be_visible(timeout=20_000)
    with portal.session() as s:
        filed = s.exec(select(RoleRequest).where(RoleRequest.user_id == requester.id)).all()
    assert [(r.organization_id, r.role) for r in filed] == [("123", "Staff")]
