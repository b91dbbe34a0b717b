"""Drawing style works: --like, --works, filters, --blend parsing and weights, fetching missing artists."""

from __future__ import annotations

import pytest

from artstyle.corpus import catalog
from artstyle.corpus.collection import ensure_image
from artstyle.errors import NotFoundError, UsageError
from artstyle.corpus.sampler import Filters, parse_blend, pick_works
from artstyle.settings import Settings
from support.corpus import register_paintings
from support.wikiart_replay import SPECIAL
from support.wikiart import FAST, FAST_CLI, small_replay  # noqa: F401  (fixture)


@pytest.fixture
def corpus(home, paintings):
    ids = register_paintings(home, paintings)
    return catalog.open_catalog(home / "catalog.db"), ids


def test_parse_blend_normalises_and_drops_zero_weights():
    assert parse_blend("pablo-picasso=0.7, vincent-van-gogh=0.3") == [("pablo-picasso", 0.7), ("vincent-van-gogh", 0.3)]
    assert parse_blend("a=3,b=1,c=0") == [("a", 0.75), ("b", 0.25)]


@pytest.mark.parametrize(
    "text, message",
    [
        ("picasso", "malformed --blend entry 'picasso'"),
        ("a=0.5,,b=0.5", "malformed --blend entry ''"),
        ("=0.5", "malformed --blend entry '=0.5'"),
        ("a=x", "--blend weight 'x' for 'a' is not a number"),
        ("a=-1,b=2", "--blend weight for 'a' must be a finite number >= 0, not -1"),
        ("a=nan", "--blend weight for 'a' must be a finite number >= 0, not nan"),
        ("a=inf", "--blend weight for 'a' must be a finite number >= 0, not inf"),
        ("a=0,b=0", "--blend weights sum to zero"),
        ("a=1,a=2", "'a' appears twice in --blend"),
    ],
)
def test_parse_blend_rejects_bad_input(text, message):
    with pytest.raises(UsageError) as info:
        parse_blend(text)
    assert info.value.message.startswith(message)
    assert info.value.hint


def test_like_draws_one_work_reproducibly_from_the_seed(corpus, home):
    db, ids = corpus
    draws = [pick_works(db, home, like=["picasso"], seed=s)[0].work_id for s in range(12)]
    assert draws == [pick_works(db, home, like=["pablo-picasso"], seed=s)[0].work_id for s in range(12)]
    assert set(draws) == set(ids["pablo-picasso"])  # both works come up across seeds
    pick = pick_works(db, home, like=["picasso"], seed=3)[0]
    assert pick.weight == 1.0 and pick.artist == "pablo-picasso" and pick.path.is_file()
    assert pick.sha256 == db["works"].get(pick.work_id)["sha256"]


def test_works_k_splits_the_artist_share(corpus, home):
    db, ids = corpus
    picks = pick_works(db, home, like=["pablo-picasso", "vincent-van-gogh"], works=2, seed=0)
    assert sorted(p.work_id for p in picks if p.artist == "pablo-picasso") == sorted(ids["pablo-picasso"])
    assert [p.weight for p in picks] == [0.25, 0.25, 0.5]  # van Gogh has one work: it takes his whole half


def test_duplicates_are_never_drawn(corpus, home):
    db, ids = corpus
    duplicate = next(db["works"].rows_where("duplicate_of IS NOT NULL"))["id"]
    drawn = {p.work_id for s in range(10) for p in pick_works(db, home, like=["william-turner"], works=2, seed=s)}
    assert drawn and duplicate not in drawn


def test_filters_narrow_the_draw(corpus, home):
    db, _ = corpus
    assert {pick_works(db, home, like=["picasso"], filters=Filters(years="1905-1908"), seed=s)[0].title for s in range(6)} == {"Self portrait"}
    assert {pick_works(db, home, like=["picasso"], filters=Filters(style="cubism"), seed=s)[0].title for s in range(6)} == {"Seated nude"}
    with pytest.raises(NotFoundError, match="artist 'pablo-picasso' has no downloaded works matching --years 1800-1850"):
        pick_works(db, home, like=["picasso"], filters=Filters(years="1800-1850"))


def test_blend_mixes_artists_and_work_ids(corpus, home):
    db, ids = corpus
    work = ids["edvard-munch"][0]
    picks = pick_works(db, home, blend=f"pablo-picasso=0.7,{work}=0.3", seed=1)
    assert [p.weight for p in picks] == pytest.approx([0.7, 0.3])
    assert picks[0].artist == "pablo-picasso" and picks[1].work_id == work


def test_unknown_artist_offline_is_not_found(corpus, home):
    db, _ = corpus
    with pytest.raises(NotFoundError) as info:
        pick_works(db, home, like=["rembrandt"], offline=True, fetch=lambda name: pytest.fail("fetched while offline"))
    assert info.value.message == "no artist 'rembrandt' in the catalog (offline, so not fetched from WikiArt)"


def test_unknown_artist_online_is_fetched_through_the_hook(corpus, home, paintings):
    db, _ = corpus
    db["works"].delete_where("artist = ?", ["henri-matisse"])
    db["artists"].delete("henri-matisse")
    fetched = []

    def fetch(name):
        fetched.append(name)
        register_paintings(home, paintings, ["henri-matisse"])

    picks = pick_works(db, home, like=["henri-matisse"], fetch=fetch)
    assert fetched == ["henri-matisse"] and picks[0].artist == "henri-matisse"


def test_without_a_fetch_hook_a_missing_artist_says_how_to_add_it(corpus, home):
    db, _ = corpus
    with pytest.raises(NotFoundError) as info:
        pick_works(db, home, like=["rembrandt"])
    assert "artstyle corpus add rembrandt" in info.value.hint


def test_artist_without_downloaded_works(home, paintings):
    register_paintings(home, paintings, ["henri-matisse"], status="listed")
    db = catalog.open_catalog(home / "catalog.db")
    with pytest.raises(NotFoundError, match="artist 'henri-matisse' has no downloaded works$"):
        pick_works(db, home, like=["matisse"])


def test_like_and_blend_are_exclusive_and_works_positive(corpus, home):
    db, _ = corpus
    with pytest.raises(UsageError, match="give either --like or --blend"):
        pick_works(db, home, like=["picasso"], blend="a=1")
    with pytest.raises(UsageError, match="--works must be a positive number or 'all', not 0"):
        pick_works(db, home, like=["picasso"], works=0)


def test_blend_with_an_unknown_entry_offline_is_not_found(corpus, home):
    db, _ = corpus
    with pytest.raises(NotFoundError, match="no artist 'local-ffffffffffffffff' in the catalog"):
        pick_works(db, home, blend="pablo-picasso=0.5,local-ffffffffffffffff=0.5", offline=True)


# ---------------------------------------------------------------- a listed work named in --blend (replay server)

LISTED_SLUG = "martiros-sarian"


@pytest.fixture
def listed(cli, home, small_replay):
    """A catalog that lists the replay artist's works without any image (``corpus add --metadata-only``)."""
    assert cli("--wikiart-url", small_replay.url, "corpus", "add", LISTED_SLUG, "--metadata-only", *FAST_CLI).exit_code == 0
    return catalog.open_catalog(home / "catalog.db"), small_replay.artists[LISTED_SLUG].works


def test_a_listed_work_named_in_blend_is_downloaded_through_the_ensure_hook(home, small_replay, listed):
    db, works = listed
    settings = Settings.build(home=home, wikiart_url=small_replay.url)
    work = works[2]
    asked = []

    def ensure(work_id):
        asked.append(work_id)
        return ensure_image(settings, work_id, config=FAST)

    pick = pick_works(db, home, blend=f"{work.id}=1", ensure=ensure)[0]
    row = db["works"].get(work.id)
    assert asked == [work.id] and row["status"] == "downloaded"
    assert pick.path == home / f"images/{LISTED_SLUG}/{work.id}.jpg" and pick.path.is_file()
    assert (pick.work_id, pick.weight, pick.sha256) == (work.id, 1.0, row["sha256"])
    before = len(small_replay.log)
    assert pick_works(db, home, blend=f"{work.id}=1", ensure=ensure)[0] == pick  # downloaded now: no second fetch
    assert asked == [work.id] and len(small_replay.log) == before


def test_a_listed_work_named_in_blend_offline_or_without_a_hook_keeps_the_clear_error(home, small_replay, listed):
    db, works = listed
    work = works[2]
    message = f"work {work.id} is not downloaded (status listed)"
    with pytest.raises(NotFoundError) as offline:
        pick_works(db, home, blend=f"{work.id}=1", offline=True, ensure=lambda w: pytest.fail("fetched while offline"))
    with pytest.raises(NotFoundError) as no_hook:
        pick_works(db, home, blend=f"{work.id}=1")
    assert offline.value.message == no_hook.value.message == message
    assert offline.value.hint == "run `artstyle corpus verify --fix`"
    assert small_replay.requests_to(r"/images/") == [] and db["works"].get(work.id)["status"] == "listed"


def test_the_paint_pipelines_ensure_hook_downloads_a_listed_work_and_reports_a_placeholder(home, small_replay, listed):
    from artstyle.paint.request import default_ensure

    db, works = listed
    ensure = default_ensure(Settings.build(home=home, wikiart_url=small_replay.url))
    pick = pick_works(db, home, blend=f"{works[3].id}=1", ensure=ensure)[0]
    assert pick.path.is_file() and db["works"].get(works[3].id)["status"] == "downloaded"
    placeholder = works[SPECIAL["placeholder"][0]]
    with pytest.raises(NotFoundError) as info:
        pick_works(db, home, blend=f"{placeholder.id}=1", ensure=ensure)
    assert info.value.message == f"no image for {placeholder.id}: copyright placeholder: WikiArt does not show this image"
    assert db["works"].get(placeholder.id)["status"] == "skipped"
