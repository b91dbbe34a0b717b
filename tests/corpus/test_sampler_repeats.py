"""Repeats of one request draw distinct works while the artist has enough (issue 15, item 4),
and a misspelled artist keeps the catalog's "did you mean" when WikiArt is unreachable (item 3)."""

from __future__ import annotations

import logging

import pytest

from artstyle.corpus import catalog
from artstyle.corpus.sampler import pick_works
from artstyle.errors import NetworkError, NotFoundError
from conftest import PAINTINGS
from support.corpus import register_paintings

pytestmark = pytest.mark.skipif(not PAINTINGS.is_dir(), reason="no shared paintings")


@pytest.fixture
def db(home):
    register_paintings(home, PAINTINGS)
    return catalog.open_catalog(home / "catalog.db")


def _repeats(db, home, artist, count, draw_seed=77):
    return [pick_works(db, home, like=[artist], seed=1000 + r, repeat=r, draw_seed=draw_seed)[0].work_id for r in range(count)]


def test_repeats_of_one_request_draw_distinct_works(db, home):
    for draw_seed in range(20):  # with replacement, 2 of 2 works collide half the time
        first, second = _repeats(db, home, "pablo-picasso", 2, draw_seed)
        assert first != second


def test_repeats_are_reproducible_and_follow_the_draw_seed(db, home):
    assert _repeats(db, home, "pablo-picasso", 2, 5) == _repeats(db, home, "pablo-picasso", 2, 5)
    orders = {tuple(_repeats(db, home, "pablo-picasso", 2, seed)) for seed in range(12)}
    assert len(orders) == 2  # both orders of the two works occur


def test_more_repeats_than_works_reuse_them_and_say_so(db, home, caplog):
    with caplog.at_level(logging.WARNING):
        picks = _repeats(db, home, "pablo-picasso", 3)
    assert len(set(picks)) == 2 and picks[2] == picks[0]
    assert "pablo-picasso has only 2 matching works, so repeat 3 of this request reuses works" in caplog.text


def test_without_a_draw_seed_a_request_draws_on_its_own_as_before(db, home):
    assert pick_works(db, home, like=["pablo-picasso"], seed=3) == pick_works(db, home, like=["pablo-picasso"], seed=3)


def test_a_typo_keeps_did_you_mean_when_wikiart_is_unreachable(db, home):
    def unreachable(name):
        raise NetworkError("cannot reach https://www.wikiart.org/en/pablo-picaso?json=2: Max retries exceeded with url: /en/pab")

    with pytest.raises(NotFoundError) as caught:
        pick_works(db, home, like=["pablo-picaso"], fetch=unreachable)
    assert "WikiArt is unreachable" in caught.value.message and caught.value.hint == "did you mean: pablo-picasso?"


def test_an_unknown_artist_far_from_any_keeps_the_network_error(db, home):
    def unreachable(name):
        raise NetworkError("cannot reach WikiArt")

    with pytest.raises(NetworkError):
        pick_works(db, home, like=["hokusai-the-elder"], fetch=unreachable)
