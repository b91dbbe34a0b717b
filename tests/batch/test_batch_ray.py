"""``--executor ray`` on a real local Ray instance: same pixels as local, actor and driver deaths, cache build.

One Ray instance (2 CPUs, 127.0.0.1) serves the whole module, since starting
Ray costs several seconds on a small machine. If Ray is not installed or
cannot start, these tests skip and say why.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artstyle.batch.executors import LocalExecutor
from artstyle.batch.run import run_batch
from artstyle.settings import Settings
from artstyle.style.build import build
from support.batch import photos
from support.corpus import register_paintings
from conftest import REPO

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]
TINY = {"size": 48, "iterations": 2}


@pytest.fixture(scope="module")
def ray_address():
    """A local Ray with two one-thread CPUs for this module; its workers import this checkout."""
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'artstyle[ray]' (.ci/run does)")
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), saved) if p)
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
                 object_store_memory=150_000_000, _node_ip_address="127.0.0.1")
    except Exception as exc:  # noqa: BLE001 - any failure to start means these tests cannot run here
        pytest.skip(f"Ray could not start on this machine: {exc.__class__.__name__}: {exc}")
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()
        os.environ.pop("OMP_NUM_THREADS", None)
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


@pytest.fixture
def corpus(home, paintings, tmp_path):
    register_paintings(home, paintings, ["pablo-picasso"])
    return photos(paintings, tmp_path / "photos")


def _ray(**options):
    from artstyle.batch.ray_executor import RayExecutor

    return RayExecutor(actors=2, in_flight=1, **options)


def _batch(folder: Path, out: Path, settings: Settings, executor, per_photo: int = 1):
    return run_batch([folder], out_dir=out, like=["pablo-picasso"], per_photo=per_photo, seed=3, settings=settings,
                     offline=True, executor=executor, **TINY)


def _runs(home: Path) -> list[str]:
    with sqlite3.connect(home / "catalog.db") as conn:
        return [row[0] for row in conn.execute("SELECT output_path FROM runs")]


def test_ray_paints_the_same_pixels_as_local(ray_address, corpus, settings, home, tmp_path):
    local = _batch(corpus, tmp_path / "local", settings, LocalExecutor())
    remote = _batch(corpus, tmp_path / "ray", settings, _ray())
    assert local.done == remote.done == 3 and not remote.failed
    # job ids hash the out dir, so the two batches' paintings are matched by photo
    ray_rows = {Path(p).name.split(".")[0]: p for p in _runs(home) if "/ray/" in p}
    local_rows = {Path(p).name.split(".")[0]: p for p in _runs(home) if "/local/" in p}
    assert ray_rows.keys() == local_rows.keys() and len(ray_rows) == 3
    for stem in ray_rows:
        a, b = (np.asarray(Image.open(rows[stem]).convert("RGB")) for rows in (local_rows, ray_rows))
        assert np.array_equal(a, b), f"{stem}: ray and local pixels differ"
    record = json.loads(Path(next(iter(ray_rows.values())) + ".json").read_text())
    assert record["painted_by"]["executor"] == "ray" and record["painted_by"]["node"] in remote.nodes
    assert sum(remote.nodes.values()) == 3


def test_the_painters_steps_reach_the_drivers_callback(ray_address, corpus, settings, tmp_path):
    steps = []
    report = run_batch([corpus], out_dir=tmp_path / "out", like=["pablo-picasso"], seed=3, settings=settings, offline=True,
                       executor=_ray(), callback=steps.append, size=48, iterations=25, tolerance=0.0)
    assert report.done == 3 and steps
    assert all(s.iterations == 25 and 1 <= s.iteration <= 25 and s.loss > 0 and s.image is None for s in steps)
    assert max(s.iteration for s in steps) == 25  # a job's last step is always posted before its result returns


def test_an_actor_killed_mid_batch_loses_nothing_and_paints_nothing_twice(ray_address, corpus, settings, home, tmp_path):
    killed = []

    def kill_first_busy(index: int, state: str, details: dict) -> None:
        if state == "busy" and not killed:
            killed.append(executor.infos[index]["pid"])
            os.kill(killed[0], signal.SIGKILL)

    executor = _ray(max_restarts=0, on_state=kill_first_busy)
    report = _batch(corpus, tmp_path / "out", settings, executor, per_photo=2)
    assert killed and report.total == report.done == 6 and not report.failed
    outputs = _runs(home)
    assert len(outputs) == len(set(outputs)) == 6  # one runs row per job: none painted twice
    assert len(list((tmp_path / "out").glob("*.png"))) - 1 == 6  # the paintings and the contact sheet


def _done(home: Path) -> int:
    try:
        with sqlite3.connect(home / "catalog.db", timeout=60) as conn:
            return conn.execute("SELECT count(*) FROM jobs WHERE status = 'done'").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_a_driver_killed_mid_batch_resumes(ray_address, cli, corpus, home, tmp_path):
    argv = ["--weights", "random", "--device", "cpu", "--quiet", "batch", str(corpus), "--like", "pablo-picasso",
            "--per-photo", "4", "--batch-size", "1", "--out", str(tmp_path / "out"), "--offline", "--size", "48", "--iterations", "2",
            "--executor", "ray", "--ray-address", ray_address]
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    driver = subprocess.Popen([sys.executable, "-m", "artstyle", "--home", str(home), *argv], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while driver.poll() is None and not _done(home):
            time.sleep(0.05)
    finally:
        driver.send_signal(signal.SIGKILL)
        _, err = driver.communicate()
    assert driver.returncode == -signal.SIGKILL, f"the batch ended before it was killed: {err.decode()[-2000:]}"
    before = _done(home)
    assert 1 <= before < 12  # one job per call, two calls per actor: the kill lands mid-batch
    result = cli(*argv)
    assert result.exit_code == 0, result.output
    assert f"12 of 12 paintings done ({before} from an earlier run)" in result.stdout
    assert "painted on: " in result.stdout and len(_runs(home)) == 12


def _entries(home: Path) -> dict[str, bytes]:
    from safetensors.torch import load_file

    files = sorted((home / "cache").rglob("*.safetensors"))
    return {f.name: b"".join(t.numpy().tobytes() for _, t in sorted(load_file(f).items())) for f in files}


def test_cache_build_on_ray_writes_the_same_entries(ray_address, cli, paintings, tmp_path):
    homes = [tmp_path / "local", tmp_path / "ray"]
    for home in homes:
        register_paintings(home, paintings, ["pablo-picasso"])
    build(Settings(home=homes[0], device="cpu", weights="random"), ["pablo-picasso"], size=64)
    result = cli("--weights", "random", "--device", "cpu", "--quiet", "cache", "build", "pablo-picasso", "--size", "64",
                 "--executor", "ray", "--ray-address", ray_address, home_dir=homes[1])
    assert result.exit_code == 0, result.output
    local, remote = _entries(homes[0]), _entries(homes[1])
    assert local and local == remote
