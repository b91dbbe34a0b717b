"""Pure parsers on saved real responses (SPEC §13 samples) and replayed pages: no network."""

from __future__ import annotations

import json

import pytest

from artstyle.corpus.wikiart import app, artist, listing, pages
from artstyle.corpus.wikiart.client import encode_url
from artstyle.corpus.wikiart.records import image_variants, original_url
from artstyle.corpus.wikiart.years import parse_year
from support.paths import SAMPLES



@pytest.fixture
def samples():
    if not SAMPLES.is_dir():
        pytest.skip(f"WikiArt samples not found at {SAMPLES}")
    return SAMPLES


@pytest.mark.parametrize("raw, expected", [
    ("1916", (1916, 1916)), ("1920-1930", (1920, 1930)), ("c. 1905", (1905, 1905)), ("c.1960", (1960, 1960)),
    ("XX cent.", (1901, 2000)), ("XIX-XX cent.", (1801, 2000)), ("XX-XXI cent.", (1901, 2100)),
    ("1909-12", (1909, 1912)), ("", (None, None)), (None, (None, None)), (1900, (1900, 1900)),
])
def test_years(raw, expected):
    assert parse_year(raw) == expected


def test_artist_json_sample(samples):
    record = artist.parse_artist(json.loads((samples / "artist-thomas-cole-json2.json").read_text()), "x")
    assert record == {
        "slug": "thomas-cole", "name": "Thomas Cole", "birth": "February 1, 1801", "death": "February 11, 1848",
        "birth_year": 1801, "death_year": 1848, "wikipedia_url": "http://en.wikipedia.org/wiki/Thomas_Cole",
        "source": "wikiart", "content_id": 254330,
    }
    assert artist.asp_year("/Date(253402300799999)/") is None  # living artist


def test_listing_sample_decodes_entities_and_keeps_image_folder(samples):
    paintings = json.loads((samples / "paintings-by-style-socialist-realism-pages1-9-2018-02.json").read_text())
    records = listing.parse_listing_page({"Paintings": paintings}, "any", "https://www.wikiart.org")
    assert len(records) == 512
    by_id = {r["id"]: r for r in records}
    sarian = by_id["57727a66edc2cb3880de6c11"]
    assert sarian["image_urls"] == {
        "hd": "https://uploads7.wikiart.org/images/martiros-saryan/workers-1927.jpg!HD.jpg",
        "original": "https://uploads7.wikiart.org/images/martiros-saryan/workers-1927.jpg",
        "large": "https://uploads7.wikiart.org/images/martiros-saryan/workers-1927.jpg!Large.jpg",
    }
    assert sarian["page_url"] == "https://www.wikiart.org/en/martiros-sarian/workers-1927"
    assert not any("&#39;" in r["title"] or "&amp;" in r["title"] for r in records)
    assert any("Lenin's funeral" in r["title"] for r in records)
    assert {(r["year_raw"], r["year_start"], r["year_end"]) for r in records} >= {("XX cent.", 1901, 2000)}


@pytest.mark.parametrize("page", [{"Paintings": None}, {"Paintings": []}, {}, None])
def test_listing_end_of_pages(page):
    assert listing.parse_listing_page(page, "a", "http://x") == []


def test_app_route_records():
    item = {"title": "Picador", "contentId": 224238, "artistContentId": 223667, "artistName": "Picasso Pablo",
            "completitionYear": 1900, "yearAsString": "1900", "width": 810,
            "image": "https://uploads6.wikiart.org/images/pablo-picasso/picador-1900.jpg!Large.jpg", "height": 1280}
    [record] = app.parse_app_paintings([item], "pablo-picasso", "https://www.wikiart.org")
    assert record["id"] == "wikiart-224238" and record["content_id"] == 224238
    assert record["image_urls"]["original"] == "https://uploads6.wikiart.org/images/pablo-picasso/picador-1900.jpg"
    details = app.parse_image_json({"style": "Expressionism", "genre": "sculpture, sketch and study", "period": "Early Years",
                                    "tags": "animals, horses", "material": None})
    assert details == {"styles": ["Expressionism"], "genres": ["sculpture", "sketch and study"], "media": [],
                       "period": "Early Years", "tags": ["animals", "horses"]}


def test_text_list_samples(samples):
    hopper = pages.parse_text_list((samples / "textlist-fragment-hopper-2017-12.html").read_text(), "edward-hopper")
    assert len(hopper) == 169
    assert all(r["path"].startswith("/en/edward-hopper/") for r in hopper)  # never the Wikipedia link
    titles = {r["title"] for r in hopper}
    assert "D. & R. G. Locomotive" in titles and "The Bridge Of Art" in titles
    rothko = pages.parse_text_list((samples / "textlist-fragment-rothko-2017-12.html").read_text(), "mark-rothko")
    assert len(rothko) == 161
    assert rothko[6] == {"path": "/en/mark-rothko/not_detected_242140", "title": "Untitled (Standing Man and Woman)", "year": "1938"}


def test_painting_page_from_replay():
    from support.wikiart_replay import ReplayServer, make_artist

    server = ReplayServer([make_artist(4)])
    work = server.artists["martiros-sarian"].works[3]
    page = pages.parse_painting_page(server.painting_page(server.artists["martiros-sarian"], work))
    server.httpd.server_close()
    assert page["id"] == work.id
    assert page["image"] == server.image_url(server.artists["martiros-sarian"], work)  # the Original thumbnail
    assert page["styles"] == ["Cubism"] and page["genres"] == ["still life"] and page["period"] == "Early Years"
    assert page["title"] == "There is such a party! (Lenin on the 1st All-Russian Congress of Workers' and Soldiers'Deputies in Petrograd)"


def test_placeholder_and_variants():
    assert image_variants("https://uploads.wikiart.org/Content/images/FRAME-600x480.jpg") == {
        "original": "https://uploads.wikiart.org/Content/images/FRAME-600x480.jpg"}
    assert original_url("https://u/images/a/b.jpg!Large.jpg") == "https://u/images/a/b.jpg"
    assert image_variants(None) == {}


def test_non_ascii_urls_are_percent_encoded_once():
    assert encode_url("https://u/images/matthias-grünewald/the-town-hall-in-mödling-1842.jpg!Large.jpg") == (
        "https://u/images/matthias-gr%C3%BCnewald/the-town-hall-in-m%C3%B6dling-1842.jpg!Large.jpg")
    assert encode_url("https://u/en/claude-monet/the-grenouill%C3%A8re") == "https://u/en/claude-monet/the-grenouill%C3%A8re"
