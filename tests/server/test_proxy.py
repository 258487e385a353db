"""Behind the TLS proxy the portal's own redirects stay on https; a client can't claim https itself."""

import pytest
from starlette.applications import Starlette
from starlette.responses import RedirectResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from harmony_portal.server.proxy import forwarded_scheme, honour_forwarded_proto
from harmony_portal.settings import get_settings


def _app():
    # What Starlette does for a folder without its slash: redirect to the URL it was asked for.
    async def slash(request):
        return RedirectResponse(str(request.url.replace(path=request.url.path + "/")), status_code=307)

    return honour_forwarded_proto(Starlette(routes=[Route("/signup", slash)]))


@pytest.fixture
def hops(monkeypatch):
    def set_hops(n: int):
        monkeypatch.setenv("HARMONY_TRUSTED_PROXY_HOPS", str(n))
        get_settings.cache_clear()
    yield set_hops
    get_settings.cache_clear()


def test_a_redirect_behind_the_tls_proxy_stays_on_https(hops):
    hops(1)
    client = TestClient(_app(), base_url="http://portal.example.org", follow_redirects=False)
    answer = client.get("/signup", headers={"X-Forwarded-Proto": "https"})
    assert answer.status_code == 307 and answer.headers["location"] == "https://portal.example.org/signup/"


def test_without_trusted_hops_the_header_is_ignored(hops):
    hops(0)
    client = TestClient(_app(), base_url="http://portal.example.org", follow_redirects=False)
    answer = client.get("/signup", headers={"X-Forwarded-Proto": "https"})
    assert answer.headers["location"] == "http://portal.example.org/signup/"


@pytest.mark.parametrize(("header", "hops", "scheme"), [
    ([(b"x-forwarded-proto", b"https")], 1, "https"),
    ([(b"x-forwarded-proto", b"http")], 1, "http"),
    ([(b"x-forwarded-proto", b"https, http")], 1, "http"),  # a client's own value comes first: not believed
    ([(b"x-forwarded-proto", b"https, http")], 2, "https"),
    ([(b"x-forwarded-proto", b"gopher")], 1, None),
    ([], 1, None),
])
def test_only_the_nearest_trusted_proxys_value_counts(header, hops, scheme):
    assert forwarded_scheme(header, hops) == scheme
