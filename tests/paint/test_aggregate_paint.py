"""``works="all"`` / ``--works all``: paint against the artist aggregate (the stored mean Gram; Mu & Francl 2015)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import artstyle.style.sources as cached_targets
from artstyle.corpus.catalog import open_catalog
from artstyle.errors import UsageError
from artstyle.core.losses import mean_gram
from artstyle.paint import paint
from artstyle.style.provider import UncachedTargets
from artstyle.style.residency import shared_lru
from artstyle.corpus.sampler import parse_works
from support.corpus import register_paintings, work_id
from support.paths import PAINTINGS

pytestmark = pytest.mark.skipif(not PAINTINGS.is_dir(), reason=f"shared paintings not found at {PAINTINGS}")

SMALL = dict(size=64, iterations=3, style_layers=("relu1_1", "relu2_1", "relu3_1"))


@pytest.fixture
def corpus(home, paintings):
    register_paintings(home, paintings, ["pablo-picasso", "vincent-van-gogh", "william-turner"], count_duplicates=True)
    shared_lru("cpu").clear()
    yield paintings / "photos" / "tubingen.jpg"
    shared_lru("cpu").clear()


def entries(home, kind: str | None = None) -> list[dict]:
    db = open_catalog(home / "catalog.db")
    rows = [r for r in db["cache_entries"].rows if kind is None or r["kind"] == kind]
    db.conn.close()
    return rows


class MeanOfMembers(UncachedTargets):
    """The reference provider: each member's targets computed directly, then ``losses.mean_gram``.

    Accumulated in float64 like the stored aggregate, then rounded to float32.
    """

    def __call__(self, pick, config, stats, net):
        if not pick.members:
            return super().__call__(pick, config, stats, net)
        members = [super(MeanOfMembers, self).__call__(m, config, stats, net) for m in pick.members]
        weights = [m.weight for m in pick.members]
        return {layer: mean_gram([t[layer].double() for t in members], weights).float() for layer in members[0]}


class CountingCompute:
    """Wraps ``compute_style_targets`` in the cache module to count forward passes."""

    def __init__(self, monkeypatch):
        self.calls = 0
        real = cached_targets.compute_style_targets

        def counted(*args, **kwargs):
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(cached_targets, "compute_style_targets", counted)


@pytest.mark.parametrize("color", ["none", "reinhard-inverse", "reinhard"])
def test_works_all_paints_bitwise_the_mean_gram_of_the_members(settings, home, corpus, color):
    kwargs = dict(like="pablo-picasso", works="all", seed=2, settings=settings, color=color, **SMALL)
    reference = paint(corpus, targets=MeanOfMembers(), **kwargs)
    aggregate = paint(corpus, **kwargs)
    assert np.array_equal(np.asarray(aggregate.image), np.asarray(reference.image))
    [pick] = aggregate.provenance["works"]
    assert pick["id"] == "aggregate:pablo-picasso" and pick["title"] == "mean of 2 works" and pick["weight"] == 1.0
    members = {m["id"]: (m["sha256"], m["weight"]) for m in pick["members"]}
    db = open_catalog(home / "catalog.db")
    assert members == {w["id"]: (w["sha256"], 0.5) for w in db["works"].rows_where("artist = ?", ["pablo-picasso"])}
    [stored] = entries(home, "aggregate")
    document = json.loads(stored["config"])
    assert document["artist"] == "pablo-picasso" and document["weights"] == [0.5, 0.5]
    assert len(entries(home, "work")) == 2


def test_second_run_reads_the_stored_aggregate(settings, home, corpus, monkeypatch):
    kwargs = dict(like="pablo-picasso", works="all", seed=4, settings=settings, color="none", **SMALL)
    counter = CountingCompute(monkeypatch)
    first = paint(corpus, **kwargs)
    assert counter.calls == 2  # one forward pass per member work
    written = entries(home)
    shared_lru("cpu").clear()  # a new process: the aggregate comes from disk
    second = paint(corpus, **kwargs)
    assert counter.calls == 2  # no member recomputed
    assert [r["key"] for r in entries(home)] == [r["key"] for r in written]
    assert np.array_equal(np.asarray(first.image), np.asarray(second.image))


def test_reinhard_aggregates_are_keyed_by_the_photo(settings, home, corpus):
    kwargs = dict(like="pablo-picasso", works="all", seed=1, settings=settings, color="reinhard", **SMALL)
    paint(corpus, **kwargs)
    paint(corpus, **kwargs)
    assert len(entries(home, "aggregate")) == 1
    paint(corpus.with_name("golden-gate.jpg"), **kwargs)
    assert len(entries(home, "aggregate")) == 2


def test_blend_with_works_all_gives_one_aggregate_per_artist(settings, home, corpus):
    result = paint(corpus, blend="pablo-picasso=0.7,william-turner=0.3", works="all", seed=1, settings=settings,
                   color="none", **SMALL)
    assert [(p.work_id, p.weight, len(p.members)) for p in result.picks] == [
        ("aggregate:pablo-picasso", 0.7, 2), ("aggregate:william-turner", 0.3, 2)]
    assert len(entries(home, "aggregate")) == 2


def test_filters_narrow_the_aggregate(settings, home, corpus):
    seated_nude = work_id(home, "pablo-picasso/seated-nude-1910")
    db = open_catalog(home / "catalog.db")
    with db.conn:
        db["works"].update(seated_nude, {"year_start": 1910, "year_end": 1910})
    db.conn.close()
    result = paint(corpus, like="pablo-picasso", works="all", years="1910", seed=1, settings=settings, **SMALL)
    [pick] = result.picks
    assert pick.title == "mean of 1 works"
    assert [m.work_id for m in pick.members] == [seated_nude]


@pytest.mark.parametrize("value, expected", [(3, 3), ("2", 2), ("all", "all"), (" ALL ", "all")])
def test_parse_works_accepts_positive_numbers_and_all(value, expected):
    assert parse_works(value) == expected


@pytest.mark.parametrize("value", [0, "0", "-1", "some", "1.5", ""])
def test_parse_works_refuses_anything_else(value):
    with pytest.raises(UsageError, match="--works must be a positive number or 'all'"):
        parse_works(value)


def test_cli_works_all(cli, home, corpus, tmp_path):
    output = tmp_path / "out.png"
    result = cli("--weights", "random", "--device", "cpu", "paint", str(corpus), "--like", "pablo-picasso",
                 "--works", "all", "--size", "48", "--iterations", "2", "--seed", "1", "-o", str(output))
    assert result.exit_code == 0, result.output
    assert "style: pablo-picasso: mean of 2 works [aggregate:pablo-picasso] weight 1" in result.stdout
    sidecar = json.loads(output.with_name("out.png.json").read_text())
    assert sidecar["request"]["works"] == "all"
    assert len(sidecar["works"][0]["members"]) == 2


@pytest.mark.parametrize("value", ["0", "every", "-2"])
def test_cli_bad_works_value_exits_2(cli, corpus, tmp_path, value):
    result = cli("--weights", "random", "paint", str(corpus), "--like", "pablo-picasso", "--works", value,
                 "-o", str(tmp_path / "out.png"))
    assert result.exit_code == 2
    assert f"error: --works must be a positive number or 'all', not '{value}'" in result.output
    assert not (tmp_path / "out.png").exists()
