"""Sweeps that show what each knob of a painting does, each rendered as one labelled grid.

The seed papers read their results off such grids: Gatys, Ecker & Bethge
(2015) sweep the style-to-content weight ratio (1e1 to 1e5 here by default)
and rebuild style from one layer at a time; Mu & Francl (2015, Fig. 6) show
the image at several iterations of one optimisation. A blend sweep walks from
one target to the next in N steps.

``sweep`` varies any painting flag (:mod:`artstyle.batch.vary`): one
``--vary`` gives a row, two a labelled 2-D grid (Gatys et al. 2015, Fig. 3:
style layers down, style/content ratio across). The named sweeps above are
shortcuts that build their points and run on the same machinery.

Every point of a sweep uses the same seed and the same style works (artists
are resolved to one drawn work before the sweep starts), so only the swept
value changes between cells. Every point is a full :func:`artstyle.paint.pipeline.paint`
run with its image, sidecar and ``runs`` row; ``experiment.json`` beside
``grid.png`` records the sweep (points, labels, outputs, final losses).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from PIL import Image

from artstyle.corpus import catalog
from artstyle.errors import UsageError
from artstyle.core.features import DEFAULT_STYLE_LAYERS, check_layers
from artstyle.files import atomic_write_json, save_image
from artstyle.core.optimize import Step
from artstyle.batch import vary
from artstyle.batch.grid import render_grid
from artstyle.core.speed import upsample
from artstyle.paint import PaintOptions, StyleRequest, paint, prepare, run_jobs
from artstyle.batch.executors import paint_prepared
from artstyle.paint.stages import colour_maps
from artstyle.style.provider import CachedTargets
from artstyle.core.images import image_to_tensor
from artstyle.corpus.sampler import Filters, pick_works
from artstyle.settings import Settings
from artstyle.core.images import tensor_to_image

DEFAULT_RATIOS = (1e1, 1e2, 1e3, 1e4, 1e5)
DEFAULT_SNAPSHOTS = (1, 10, 50, 100, 200)


@dataclass(frozen=True)
class SweepPoint:
    """One cell of a sweep: its label and the paint() keywords that differ from the base request."""

    label: str
    overrides: dict = field(default_factory=dict)


# ---- sweep definitions -----------------------------------------------------------------------


def blend_weights(count: int, steps: int) -> list[list[float]]:
    """``steps`` weight vectors walking from target 0 to target count-1 through each target in turn."""
    if count < 2:
        raise UsageError("a blend sweep needs at least two targets", hint="e.g. --targets pablo-picasso,vincent-van-gogh")
    if steps < 2:
        raise UsageError(f"--steps must be at least 2, not {steps}", hint="use e.g. --steps 5")
    vectors = []
    for i in range(steps):
        position = i * (count - 1) / (steps - 1)  # 0 .. count-1 along the path
        low = min(int(math.floor(position)), count - 2)
        t = position - low
        weights = [0.0] * count
        weights[low], weights[low + 1] = 1 - t, t
        vectors.append([round(w, 6) for w in weights])
    return vectors


def blend_sweep(works: Sequence[str], steps: int, names: Sequence[str] | None = None) -> list[SweepPoint]:
    """Blends of fixed work ids, from the first to the last; zero-weight works drop out of a point."""
    names = list(names or works)
    points = []
    for weights in blend_weights(len(works), steps):
        blend = ",".join(f"{w}={x:g}" for w, x in zip(works, weights) if x > 0)
        label = " / ".join(f"{n} {x:.0%}" for n, x in zip(names, weights) if x > 0)
        points.append(SweepPoint(label, {"blend": blend}))
    return points


def ratio_sweep(ratios: Sequence[float] = DEFAULT_RATIOS, style_weight: float = PaintOptions.style_weight) -> list[SweepPoint]:
    """Style-to-content weight ratios: the style weight stays, the content weight is style / ratio."""
    if not ratios or any(not (math.isfinite(r) and r > 0) for r in ratios):
        raise UsageError(f"ratios must be positive numbers, not {list(ratios)}", hint="use e.g. --ratios 1e1,1e3,1e5")
    return [SweepPoint(f"style/content {r:.0e}", {"style_weight": style_weight, "content_weight": style_weight / r}) for r in ratios]


def vary_axis(text: str, base: PaintOptions | None = None) -> list[SweepPoint]:
    """``--vary FLAG=V1,V2``: one point per value, labelled ``flag=value``."""
    name, values = vary.parse_vary(text)
    flag = name.replace("_", "-")
    return [SweepPoint(f"{flag}={vary.value_label(v)}", vary.overrides(name, v, base or PaintOptions())) for v in values]


def layer_ablation(layers: Sequence[str] = DEFAULT_STYLE_LAYERS) -> list[SweepPoint]:
    """Style from one layer at a time (Gatys et al. 2015): low layers give texture, high ones structure."""
    return [SweepPoint(f"style from {layer}", {"style_layers": (layer,)}) for layer in check_layers(tuple(layers))]


def check_snapshots(iterations: Sequence[int]) -> list[int]:
    values = sorted(set(int(i) for i in iterations))
    if not values or values[0] < 1:
        raise UsageError(f"snapshot iterations must be 1 or more, not {list(iterations)}", hint="use e.g. --at 1,10,50,100")
    return values


def parse_numbers(text: str, kind=float, what: str = "--ratios") -> list:
    """``"1e1,1e2"`` -> [10.0, 100.0], with a usage error naming the flag."""
    try:
        return [kind(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UsageError(f"malformed {what} {text!r}", hint=f"give numbers separated by commas, e.g. {what} 1,10,100") from None


# ---- what the grid says ----------------------------------------------------------------------


FIXED_SHOWN = ("size", "iterations", "optimizer", "init", "content_weight", "style_weight", "style_layers", "color")


def _cell_label(label: str, record: dict) -> str:
    """The point's label, then the work(s) it was painted after: artist and title."""
    works = [f"{w.get('artist') or 'image'}: {w.get('title')}" for w in record.get("works", [])]
    return f"{label}\n{'; '.join(works)}" if works else label


def _fixed(records: Sequence[dict], seed: int, base: PaintOptions) -> tuple[str, str]:
    """(what varies, what is fixed) across the grid's points, in flag spelling."""
    varied = sorted({k for r in records for k in r.get("overrides", {})})
    options = base.as_dict()
    shown = [f"--{k.replace('_', '-')} {options[k] if not isinstance(options[k], (list, tuple)) else ','.join(map(str, options[k]))}"
             for k in FIXED_SHOWN if k not in varied]
    return ", ".join(v.replace("_", "-") for v in varied), ", ".join(shown + [f"--seed {seed}"])


# ---- running a sweep -------------------------------------------------------------------------


@dataclass
class ExperimentReport:
    kind: str
    grid: Path
    record: Path
    points: list[dict]


def resolve_targets(settings: Settings, targets: Sequence[str], seed: int, offline: bool = True) -> list[dict]:
    """Each target (an artist or a work id) as one fixed work: artists draw one work with ``seed``."""
    db = catalog.open_catalog(settings.catalog_path)
    fixed = []
    for target in targets:
        pick = pick_works(db, settings.home, blend=f"{target}=1", seed=seed, filters=Filters(), offline=offline)[0]
        fixed.append({"target": target, "work": pick.work_id, "artist": pick.artist, "title": pick.title})
    return fixed


def point_file(index: int, label: str) -> str:
    """``03-style-content-1e+05.png``: the index keeps the sweep's order, the label stays readable
    (numbers keep their '+', '.' and '=': a slug would turn 1e+01 into 1e-01)."""
    safe = re.sub(r"[^A-Za-z0-9.+=_-]+", "-", label).strip("-.")[:60]
    return f"{index:02d}-{safe}.png"


def check_out_dir(out_dir: Path, force: bool) -> None:
    """Refuse to overwrite an earlier experiment's folder unless ``force`` (as ``paint`` refuses a file)."""
    out_dir = Path(out_dir)
    if (out_dir / "experiment.json").exists() and not force:
        raise UsageError(f"{out_dir} already holds an experiment", hint="choose another --out, or pass --force to overwrite it")


def grid_points(axes: Sequence[Sequence[SweepPoint]]) -> list[list[SweepPoint]]:
    """One axis: a row of its points. Two: rows of the first axis × columns of the second, overrides merged."""
    if not 1 <= len(axes) <= 2:
        raise UsageError(f"a sweep takes one or two --vary, not {len(axes)}", hint="e.g. --vary style-layers=... --vary ratio=1e1,1e3")
    if len(axes) == 1:
        return [list(axes[0])]
    return [[SweepPoint(f"{r.label} · {c.label}", {**r.overrides, **c.overrides}) for c in axes[1]] for r in axes[0]]


def run_grid(
    kind: str,
    content: Path,
    axes: Sequence[Sequence[SweepPoint]],
    *,
    out_dir: Path,
    request: StyleRequest | None,
    seed: int = 0,
    options: PaintOptions | None = None,
    settings: Settings | None = None,
    on_point: Callable[[int, SweepPoint], None] | None = None,
    callback: Callable[[Step], None] | None = None,
    extra: dict | None = None,
    force: bool = False,
    executor=None,
) -> ExperimentReport:
    """Paint ``content`` at every point of one axis (a row) or two (a grid), same seed and works; write the grid.

    With a started non-local ``executor`` (``--executor ray``) the points are
    painted in parallel on its actors and written here.
    """
    settings = settings or Settings.from_env()
    out_dir, base = Path(out_dir), options or PaintOptions()
    rows = grid_points(axes)
    points = [p for row in rows for p in row]
    for point in points:  # every point's options are checked before the first is painted
        base.with_overrides(**{k: v for k, v in point.overrides.items() if k != "blend"})
    check_out_dir(out_dir, force)
    remote = executor is not None and executor.name != "local"
    images, records = [], []
    for index, point in enumerate(points):
        if on_point is not None:
            on_point(index, point)
        opts = base.with_overrides(**{k: v for k, v in point.overrides.items() if k != "blend"})
        point_request = StyleRequest("blend", point.overrides["blend"]) if "blend" in point.overrides else request
        output = out_dir / point_file(index, point.label)
        if remote:
            images.append(prepare(content, request=point_request, options=opts, settings=settings, seed=seed,
                                  output=output, force=True, offline=True))
            continue
        result = paint(content, request=point_request, options=opts, settings=settings, seed=seed,
                       output=output, force=True, callback=callback, offline=True)
        images.append(result.image)
        records.append(_point_record(point, result))
    if remote:  # images holds the prepared points: paint them on the executor's actors
        results = paint_prepared(executor, images, settings)
        images, records = [r.image for r in results], [_point_record(p, r) for p, r in zip(points, results)]
    width = len(rows[0])
    image_rows = [images[i:i + width] for i in range(0, len(images), width)]
    label_rows = [[p.label for p in row] for row in rows]
    headers = ([p.label for p in axes[0]], [p.label for p in axes[1]]) if len(axes) == 2 else ((), ())
    return _write(kind, content, points, image_rows, label_rows, records, out_dir, seed, base, extra, headers)


def _point_record(point: SweepPoint, result) -> dict:
    loss = result.provenance["loss"].get("last", {}).get("loss")
    return {"label": point.label, "overrides": point.overrides, "output": str(result.output),
            "run_id": result.provenance.get("run_id"), "works": result.provenance["works"], "final_loss": loss,
            "random_weights": bool(result.provenance.get("random_weights"))}


def _write(kind, content, points, image_rows, label_rows, records, out_dir, seed, base, extra, headers=((), ())) -> ExperimentReport:
    title = f"{kind if kind == 'sweep' else kind + ' sweep'} · {Path(content).name} · seed {seed}"
    grid = out_dir / "grid.png"
    by_label = {r["label"]: r for r in records}
    labels = [[_cell_label(label, by_label.get(label, {})) for label in row] for row in label_rows]
    varies, fixed = _fixed(records, seed, base)
    random_weights = any(r.get("random_weights") for r in records)
    save_image(render_grid(image_rows, labels, title=title, cell=max(image_rows[0][0].size), varies=varies, fixed=fixed,
                           random_weights=random_weights, row_headers=headers[0], column_headers=headers[1]), grid)
    record = {"kind": kind, "content": str(Path(content).resolve()), "seed": seed, "options": base.as_dict(),
              "points": records, "grid": str(grid), "created_at": catalog.now(), **(extra or {})}
    path = out_dir / "experiment.json"
    atomic_write_json(path, record)
    return ExperimentReport(kind, grid, path, records)


def run_snapshots(
    content: Path,
    at: Sequence[int],
    *,
    out_dir: Path,
    request: StyleRequest,
    seed: int = 0,
    options: PaintOptions | None = None,
    settings: Settings | None = None,
    callback: Callable[[Step], None] | None = None,
    force: bool = False,
    executor=None,
) -> ExperimentReport:
    """One optimisation, its iterate kept at each iteration in ``at`` (Mu & Francl 2015, Fig. 6).

    Early stopping is off so that every snapshot is reached. Each snapshot is
    mapped back to the photo's colours as the finished painting is (the
    optimiser works in the work's palette), so the cells compare.
    """
    if executor is not None and executor.name != "local":
        raise UsageError("experiment iterations keeps every iterate in this process, so it runs with --executor local only",
                         hint="drop --executor ray: one painting gains nothing from a cluster")
    at = check_snapshots(at)
    opts = (options or PaintOptions()).with_overrides(iterations=at[-1], tolerance=0.0)
    settings, out_dir = settings or Settings.from_env(), Path(out_dir)
    check_out_dir(out_dir, force)
    job = prepare(content, request=request, options=opts, settings=settings, seed=seed,
                  output=out_dir / f"iter-{at[-1]:04d}-final.png", force=True, offline=True)
    finish = _output_map(job, settings)
    kept: dict[int, Image.Image] = {}

    def on_step(step: Step) -> None:
        if step.iteration in at:  # back to the photo's colours, as the finished painting and paint --save-every are
            kept[step.iteration] = tensor_to_image(finish(step.image))
        if callback is not None:
            callback(step)

    result = run_jobs([job], settings, callbacks=[on_step])[0]
    points = [SweepPoint(f"iteration {i}", {"iteration": i}) for i in at]
    images = [kept[i] for i in at[:-1]] + [result.image]
    for point, image in zip(points[:-1], images):
        save_image(image, out_dir / f"iter-{point.overrides['iteration']:04d}.png")
    records = [{"label": p.label, "overrides": p.overrides, "output": str(out_dir / f"iter-{p.overrides['iteration']:04d}.png"),
                "works": result.provenance["works"]} for p in points[:-1]] + [_point_record(points[-1], result)]
    return _write("iterations", content, points, [images], [[p.label for p in points]], records, out_dir, seed, opts, None)


def _output_map(job, settings: Settings):
    """The map from an iterate to the output's colours (the pipeline's own, from the same photo and works)."""
    content = image_to_tensor(job.content_image, job.opts.size).to(job.device)
    _, finish = colour_maps(job, content, CachedTargets(settings, job.device))
    height, width = content.shape[2:]
    return lambda x: finish(upsample(x, height, width))
