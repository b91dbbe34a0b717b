"""The HTTP choke point and the route fallback, against the replay server on 127.0.0.1."""

from __future__ import annotations

import pytest

from artstyle.errors import NetworkError, NotFoundError
from artstyle.corpus.wikiart import (
    Client, ClientConfig, NotJsonError, QuotaError, UnreachableError, fetch_artist, fetch_details, list_works,
)
from artstyle.corpus.wikiart.client import HTTPStatusError, RateLimiter
from support.wikiart_replay import CHALLENGE_HTML, ReplayServer, make_artist
from support.wikiart import FAST, replay, small_replay  # noqa: F401  (fixtures)

ARTIST_JSON = r"/en/martiros-sarian\?json=2"


def test_descriptive_user_agent(small_replay):
    Client(small_replay.url, FAST).get_json("/en/martiros-sarian", params={"json": "2"})
    [agent] = small_replay.agents
    assert agent.startswith("artstyle/") and "research" in agent


def test_429_waits_retry_after_then_succeeds(small_replay):
    small_replay.add_fault(lambda p, q: q.get("json") == "2", status=429, headers={"Retry-After": "1"})
    client = Client(small_replay.url, FAST)
    assert client.get_json("/en/martiros-sarian", params={"json": "2"})["url"] == "martiros-sarian"
    assert len(small_replay.requests_to(ARTIST_JSON)) == 2
    assert client.stats.retries == 1
    gap = small_replay.log[1][0] - small_replay.log[0][0]
    assert gap >= 0.99  # Retry-After: 1 honoured, not the 0.01 s backoff


def test_transient_503_is_retried(small_replay):
    small_replay.add_fault(lambda p, q: True, status=503, times=2)
    client = Client(small_replay.url, FAST)
    assert client.get_json("/en/martiros-sarian", params={"json": "2"})["artistName"] == "Martiros Sarian"
    assert client.stats.retries == 2 and len(small_replay.log) == 3


def test_persistent_503_gives_typed_error_naming_url(small_replay):
    small_replay.add_fault(lambda p, q: True, status=503, times=99)
    with pytest.raises(HTTPStatusError) as info:
        Client(small_replay.url, ClientConfig(retries=2, backoff=0.01)).get_json("/en/martiros-sarian", params={"json": "2"})
    assert info.value.status == 503
    assert str(info.value) == f"{small_replay.url}/en/martiros-sarian?json=2 answered HTTP 503"
    assert len(small_replay.log) == 3


def test_quota_answer_is_not_retried(small_replay):
    body = b'{"Exception":{"Message":"Free API limit exceeded"}}'
    small_replay.add_fault(lambda p, q: True, status=500, body=body, headers={"Content-Type": "application/json"}, times=99)
    with pytest.raises(QuotaError, match="quota is spent"):
        Client(small_replay.url, FAST).get_json("/en/api/2/PaintingsByArtist")
    assert len(small_replay.log) == 1


def test_html_challenge_instead_of_json_is_permanent(small_replay):
    small_replay.add_fault(lambda p, q: True, status=200, body=CHALLENGE_HTML, headers={"Content-Type": "text/html"}, times=99)
    with pytest.raises(NotJsonError, match="answered HTML instead of JSON"):
        Client(small_replay.url, FAST).get_json("/en/martiros-sarian", params={"json": "2"})
    assert len(small_replay.log) == 1


def test_404_is_not_retried(small_replay):
    with pytest.raises(HTTPStatusError) as info:
        Client(small_replay.url, FAST).get_image(small_replay.url + "/images/nobody/nothing.jpg")
    assert info.value.status == 404 and len(small_replay.log) == 1


def test_truncated_body_is_retried(small_replay):
    artist = small_replay.artists["martiros-sarian"]
    url = small_replay.image_url(artist, artist.works[0])
    small_replay.add_fault(lambda p, q: "/images/" in p, truncate=True)
    client = Client(small_replay.url, FAST)
    assert client.get_image(url) == artist.works[0].variant_bytes("original")
    assert client.stats.retries == 1


def test_connection_refused_names_url_and_suggests_import():
    client = Client("http://127.0.0.1:9", ClientConfig(retries=1, backoff=0.01))
    with pytest.raises(UnreachableError) as info:
        client.get_json("/en/pablo-picasso", params={"json": "2"})
    assert str(info.value) == "cannot reach http://127.0.0.1:9/en/pablo-picasso?json=2: connection refused"
    assert "artstyle corpus import" in info.value.hint


def test_unknown_artist_is_not_found(small_replay):
    with pytest.raises(NotFoundError) as info:
        fetch_artist(Client(small_replay.url, FAST), "nobody-at-all")
    assert str(info.value) == (f"artist 'nobody-at-all' is not on WikiArt "
                               f"({small_replay.url}/en/nobody-at-all?json=2 answered HTTP 500)")


def test_listing_pages_dedup_and_stop_at_null(replay):
    works, route = list_works(Client(replay.url, FAST), "martiros-sarian")
    expected = [w.id for w in replay.artists["martiros-sarian"].works]
    assert route == "site-json" and [w["id"] for w in works] == expected  # 174, the repeated id once
    pages = replay.requests_to("mode/all-paintings")
    assert len(pages) == 4 and "page=4" in pages[-1]  # page 4 answered Paintings: null


def test_challenge_on_listing_falls_back_to_app_route(small_replay):
    small_replay.add_fault(lambda p, q: "all-paintings" in p, status=200, body=CHALLENGE_HTML,
                           headers={"Content-Type": "text/html"}, times=99)
    works, route = list_works(Client(small_replay.url, FAST), "martiros-sarian")
    artist = small_replay.artists["martiros-sarian"]
    assert route == "app"
    assert [w["id"] for w in works] == [f"wikiart-{w.content_id}" for w in artist.works]
    assert works[1]["title"] == "Meeting of the association 'Nikitinsky subbotniks'"
    assert works[5]["image_urls"]["original"] == small_replay.image_url(artist, artist.works[5])


def test_html_route_when_json_routes_fail(small_replay):
    small_replay.add_fault(lambda p, q: "all-paintings" in p or "/App/" in p, status=500, times=99)
    works, route = list_works(Client(small_replay.url, FAST), "martiros-sarian", limit=5)
    artist = small_replay.artists["martiros-sarian"]
    assert route == "html"
    assert [w["id"] for w in works] == [w.id for w in artist.works[:5]]
    assert works[3]["styles"] == ["Cubism"] and works[3]["year_raw"] == "XX cent."


def test_all_routes_failing_is_one_network_error(small_replay):
    small_replay.add_fault(lambda p, q: "json" not in q or "page" in q or "/App/" in p, status=500, times=999)
    with pytest.raises(NetworkError, match="no route listed the works of 'martiros-sarian'"):
        list_works(Client(small_replay.url, FAST), "martiros-sarian")


def test_rate_limiter_window():
    limiter = RateLimiter(3, 0.2)
    assert [limiter.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire() > 0.1  # the 4th waits for the window


def test_default_throttle_is_honoured_on_images():
    """WikiArt's published image limit (20/s): the 21st download starts a second after the 1st."""
    artist = make_artist(40, real=False)
    with ReplayServer([artist]) as server:
        client = Client(server.url)  # the default config
        urls = [server.image_url(artist, w) + "!Large.jpg" for w in artist.works if w.image is not None and "large" in w.variants]
        for url in urls[:21]:
            client.get_image(url)
        times = [t for t, _ in server.log]
    assert len(times) == 21
    assert times[20] - times[0] >= 0.95  # server clock; allows a little scheduling slack
    assert ClientConfig().lower_bound(pages=5, images=174) == 8.0


def test_redirect_to_error_page_is_a_permanent_miss(small_replay):
    small_replay.add_fault(lambda p, q: "ImageJson" in p, status=302, headers={"Location": "/en/error-page"}, times=99)
    with pytest.raises(NotJsonError, match="redirected to an error page"):
        Client(small_replay.url, FAST).get_json("/en/App/Painting/ImageJson/224003")
    assert len(small_replay.requests_to("ImageJson")) == 1


def test_app_route_details(small_replay):
    client = Client(small_replay.url, FAST)
    small_replay.add_fault(lambda p, q: "all-paintings" in p, status=500, times=99)
    works, route = list_works(client, "martiros-sarian")
    assert route == "app"
    assert fetch_details(client, works[3]) == {"styles": ["Cubism"], "genres": ["still life"], "media": [],
                                               "period": "Early Years", "tags": ["animals", "horses"]}
    assert small_replay.requests_to(r"ImageJson/224003$")


def test_429_without_retry_after_backs_off(small_replay):
    small_replay.add_fault(lambda p, q: True, status=429, times=2)
    client = Client(small_replay.url, FAST)
    assert client.get_json("/en/martiros-sarian", params={"json": "2"})["url"] == "martiros-sarian"
    assert client.stats.retries == 2
