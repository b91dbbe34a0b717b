#!/usr/bin/env bash
# Fingerprints of what artstyle paints, for checking that a refactor changes no pixel.
#
# Runs, with seeded random weights on the CPU at 64 px: a paint, the same paint again (from
# the style cache), a cache build, a blend, a --works all paint, a batch with repeats and two
# experiments; then prints the sha256 of every PNG's pixels. Paths and seeds are fixed, so two
# checkouts give the same lines exactly when they paint the same pixels:
#
#   cd CHECKOUT && PYTHONPATH=. bash /path/to/golden_outputs.sh > CHECKOUT.txt   # for each checkout; then diff
#
# Run it from the root of the checkout being measured: `python -m` puts the current folder first on sys.path.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=${ARTSTYLE_SHARED:-$repo/../shared}
out=${GOLDEN_DIR:-/tmp/artstyle-golden}  # batch ids hash the out folder: keep it the same across checkouts
rm -rf "$out" && mkdir -p "$out/photos"
export ARTSTYLE_HOME=$out/home ARTSTYLE_WEIGHTS=random ARTSTYLE_DEVICE=cpu OMP_NUM_THREADS=1
paintings=$shared/paintings
cp "$paintings/photos/tubingen.jpg" "$out/t.jpg" && cp "$paintings/photos/golden-gate.jpg" "$out/g.jpg"
cp "$paintings"/photos/*.jpg "$out/photos/"
run() { python -m artstyle -q "$@" >/dev/null; }
run corpus import "$paintings/pablo-picasso" --artist "Pablo Picasso"
run corpus import "$paintings/vincent-van-gogh" --artist "Vincent van Gogh"
flags=(--size 64 --iterations 8 --seed 3)
run paint "$out/t.jpg" --like pablo-picasso "${flags[@]}" -o "$out/paint1.png"
run paint "$out/t.jpg" --like pablo-picasso "${flags[@]}" -o "$out/paint2_cached.png"
run cache build vincent-van-gogh --size 64
run paint "$out/g.jpg" --blend "pablo-picasso=0.7,vincent-van-gogh=0.3" "${flags[@]}" -o "$out/blend.png"
run paint "$out/g.jpg" --like vincent-van-gogh --works all "${flags[@]}" -o "$out/all.png"
run batch "$out/photos" --like pablo-picasso --per-photo 2 "${flags[@]}" --out "$out/batch"
run experiment ratio "$out/t.jpg" --like pablo-picasso "${flags[@]}" --ratios 10,1000 --out "$out/exp_ratio"
run experiment blend "$out/t.jpg" --targets pablo-picasso,vincent-van-gogh --steps 3 "${flags[@]}" --out "$out/exp_blend"
cd "$out" && find . -name '*.png' -not -path './home/*' | sort | python -c '
import hashlib, sys
from PIL import Image
for name in sys.stdin.read().split():
    image = Image.open(name)
    print(hashlib.sha256(image.tobytes()).hexdigest()[:16], image.size, name)'
