"""The gallery page's fixed parts: its style sheet, its few lines of JavaScript, and the loss chart.

Plain HTML and CSS with a little JavaScript, nothing fetched: the page opens
from disk, with no server and no CDN. The loss chart is inline SVG with axes
(iterations across, the loss on a log scale up), because the loss of a Gatys et
al. (2015) optimisation falls over orders of magnitude.
"""

from __future__ import annotations

import html
import math
from typing import Sequence

CSS = """
:root{--ink:#1d1d1f;--muted:#6e6e73;--line:#e3e3e6;--bg:#f6f5f2;--card:#fff;--alert:#a8261b;--accent:#2f5d8a}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header{padding:20px 24px 8px;max-width:1600px;margin:0 auto}h1{font-size:24px;margin:0 0 4px;font-weight:650}
h2{font-size:18px;margin:28px 0 10px}.summary{color:var(--muted);margin:0 0 10px}a{color:var(--accent)}
.note{background:#fff4e5;border:1px solid #f0c987;color:#6b4400;padding:8px 12px;border-radius:8px;margin:8px 0}
.filters{display:flex;flex-wrap:wrap;gap:12px;align-items:center;margin:12px 0 4px}
.filters label{font-size:14px;color:var(--muted)}.filters select{font:inherit;padding:4px 8px;border-radius:6px;border:1px solid var(--line);background:#fff;max-width:60vw}
main,section.block{max-width:1600px;margin:0 auto;padding:0 24px 16px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:18px}
.card{position:relative;margin:0;background:var(--card);border-radius:10px;overflow:hidden;box-shadow:0 1px 3px rgba(0,0,0,.12)}
.card[hidden]{display:none}.card>a{display:block;aspect-ratio:4/3;background:#ddd}
.card img.painting{width:100%;height:100%;object-fit:cover;display:block}
.sources{position:absolute;left:8px;right:8px;top:8px;display:flex;gap:6px;opacity:0;transition:opacity .15s;pointer-events:none}
.sources figure{margin:0;background:rgba(255,255,255,.92);padding:4px;border-radius:6px;font-size:11px;max-width:33%}
.sources img{display:block;width:100%;height:70px;object-fit:cover;border-radius:3px}
.card:hover .sources,.card:focus-within .sources{opacity:1}
figcaption{padding:8px 12px 10px}figcaption b{display:block}figcaption span{color:var(--muted);font-size:13px}
.failed-card{padding:16px;color:var(--alert);aspect-ratio:4/3;display:flex;align-items:center;background:#fbeceb}
ul.failures li{margin:4px 0}ul.failures .why{color:var(--alert)}
table{border-collapse:collapse;font-size:14px}td,th{padding:3px 12px 3px 0;text-align:left;vertical-align:top}th{color:var(--muted);font-weight:500}
.viewer{display:none;position:fixed;inset:0;background:rgba(18,18,20,.94);color:#eee;z-index:10;overflow:auto}
.viewer:target{display:grid;grid-template-columns:minmax(0,1fr) 380px;gap:20px;padding:20px}
.viewer .big img{width:100%;height:calc(100vh - 40px);display:block;object-fit:contain}
.viewer aside{background:#fff;color:var(--ink);border-radius:10px;padding:16px;align-self:start}
.viewer aside h3{margin:0 0 6px;font-size:18px}.viewer .pair{display:flex;gap:8px;margin:8px 0}
.viewer .pair figure{margin:0;flex:1;font-size:12px;color:var(--muted)}.viewer .pair img{width:100%;border-radius:4px}
.viewer .close{position:fixed;top:12px;right:14px;width:36px;height:36px;line-height:34px;text-align:center;border-radius:50%;background:#1d1d1f;color:#fff;font-size:24px;text-decoration:none;z-index:11}
svg.chart text{font:11px system-ui,sans-serif;fill:#555}svg.chart .axis{stroke:#999}svg.chart .gridline{stroke:#eee}
svg.chart polyline{fill:none;stroke:#c0392b;stroke-width:2}
@media (max-width:700px){header,main,section.block{padding-left:12px;padding-right:12px}.grid{grid-template-columns:1fr 1fr;gap:10px}
h1{font-size:20px}figcaption{padding:6px 8px}figcaption span{font-size:12px}.sources{display:none}
.viewer:target{display:block;padding:12px}.viewer .big img{height:auto;max-height:70vh}.viewer aside{margin-top:12px}}
"""

JS = """
(function () {
  var artist = document.getElementById('f-artist'), photo = document.getElementById('f-photo');
  var count = document.getElementById('f-count'), cards = document.querySelectorAll('.card');
  function apply() {
    var shown = 0;
    cards.forEach(function (card) {
      var ok = (!artist.value || card.dataset.artists.split('|').indexOf(artist.value) >= 0) &&
               (!photo.value || card.dataset.photo === photo.value);
      card.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + ' of ' + cards.length + ' shown';
  }
  artist.addEventListener('change', apply);
  photo.addEventListener('change', apply);
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && location.hash.indexOf('#v-') === 0) { location.hash = ''; }
  });
  apply();
})();
"""


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round numbers between low and high."""
    span = max(high - low, 1e-9)
    step = 10 ** math.floor(math.log10(span / count))
    for factor in (1, 2, 5, 10):
        if span / (step * factor) <= count:
            step *= factor
            break
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step) + 1)]


def loss_chart(losses: Sequence[float], width: int = 340, height: int = 180) -> str:
    """An inline SVG line chart of the loss per iteration: log-scale y axis, labelled axes."""
    points = [(i + 1, math.log10(v)) for i, v in enumerate(losses) if v > 0 and math.isfinite(v)]
    if len(points) < 2:
        return '<p class="muted">No loss trace was recorded.</p>'
    left, right, top, bottom = 46, 10, 10, 34
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1, y0, y1 = 1, max(xs), math.floor(min(ys)), math.ceil(max(ys))
    y1 = y1 if y1 > y0 else y0 + 1
    sx = lambda x: left + (x - x0) / max(x1 - x0, 1) * (width - left - right)  # noqa: E731
    sy = lambda y: top + (y1 - y) / (y1 - y0) * (height - top - bottom)  # noqa: E731
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="loss from {losses[0]:.3g} to {losses[-1]:.3g} over {len(losses)} iterations">']
    for decade in range(y0, y1 + 1):
        y = sy(decade)
        parts.append(f'<line class="gridline" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">1e{decade}</text>')
    for tick in _ticks(x0, x1):
        x = sx(tick)
        parts.append(f'<line class="axis" x1="{x:.1f}" x2="{x:.1f}" y1="{height - bottom}" y2="{height - bottom + 4}"/>'
                     f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle">{tick:g}</text>')
    parts.append(f'<line class="axis" x1="{left}" x2="{width - right}" y1="{height - bottom}" y2="{height - bottom}"/>'
                 f'<line class="axis" x1="{left}" x2="{left}" y1="{top}" y2="{height - bottom}"/>')
    line = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
    parts.append(f'<polyline points="{line}"/>')
    parts.append(f'<text x="{(left + width - right) / 2:.0f}" y="{height - 4}" text-anchor="middle">iteration</text>'
                 f'<text x="12" y="{(top + height - bottom) / 2:.0f}" text-anchor="middle" '
                 f'transform="rotate(-90 12 {(top + height - bottom) / 2:.0f})">loss (log)</text></svg>')
    return "".join(parts)


def esc(value) -> str:
    """Any text, escaped for HTML content and attributes."""
    return html.escape(str(value), quote=True)
