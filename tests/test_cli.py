"""The console script end to end, in subprocesses: train, sample, refuse to overwrite (resuming: test_resume.py)."""
import json
import os
import subprocess

import numpy as np
import pytest

from conftest import ROOT, thesis_gan_cmd

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1"}


def run(*args, check=True):
    result = subprocess.run(thesis_gan_cmd() + list(args), capture_output=True, text=True, env=ENV, cwd=ROOT)
    if check and result.returncode:
        raise AssertionError(f"thesis-gan {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


@pytest.mark.slow
def test_train_then_sample_points(tmp_path):
    run_dir, out = tmp_path / "run", tmp_path / "samples.npy"
    run("train", "--variant", "gan", "--data", "ring", "--steps", "40", "--steps-per-epoch", "20", "--seed", "3",
        "--batch-size", "64", "--out", str(run_dir), "--quiet")
    assert json.loads((run_dir / "config.json").read_text())["run"]["seed"] == 3
    assert (run_dir / "generator.weights.h5").exists()
    history = (run_dir / "history.csv").read_text().splitlines()
    assert history[0].split(",")[:1] == ["epoch"] and len(history) == 3
    run("sample", "--run", str(run_dir), "--n", "2500", "--out", str(out))
    samples = np.load(out)
    assert samples.shape == (2500, 2) and samples.dtype == np.float32 and np.isfinite(samples).all()
    # the same seed gives the same samples; nothing is overwritten silently
    again = run("sample", "--run", str(run_dir), "--n", "2500", "--out", str(out), check=False)
    assert again.returncode == 2 and "--force" in again.stderr
    run("sample", "--run", str(run_dir), "--n", "2500", "--out", str(out), "--force")
    assert np.array_equal(np.load(out), samples)
    finished = run("train", "--variant", "gan", "--data", "ring", "--steps", "40", "--steps-per-epoch", "20",
                   "--seed", "3", "--batch-size", "64", "--out", str(run_dir), "--quiet", check=False)
    assert finished.returncode == 2 and "finished run" in finished.stderr


def test_bad_input_is_explained(tmp_path):
    bad = run("train", "--variant", "stylegan", "--out", str(tmp_path / "r"), check=False)
    assert bad.returncode == 2 and "stylegan" in bad.stderr and "wgan-gp" in bad.stderr
    bad = run("train", "--data", "moving-objects", "--out", str(tmp_path / "r"), check=False)
    assert bad.returncode == 2 and "--shape" in bad.stderr
    bad = run("train", "--data", "ring", "--steps", "150", "--steps-per-epoch", "100", "--out", str(tmp_path / "r"),
              check=False)
    assert bad.returncode == 2 and "multiple" in bad.stderr
    bad = run("sample", "--run", str(tmp_path / "nothing"), "--out", str(tmp_path / "s.npy"), check=False)
    assert bad.returncode == 2 and "not a run folder" in bad.stderr
    shape = subprocess.run(thesis_gan_cmd() + ["train", "--shape", "8,16", "--out", "r"], capture_output=True, text=True)
    assert shape.returncode == 2 and "T,H,W" in shape.stderr
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    bad = run("train", "--steps", "20", "--out", str(tmp_path / "busy"), check=False)
    assert bad.returncode == 2 and "not a run folder" in bad.stderr
    assert (tmp_path / "busy" / "notes.txt").read_text() == "mine"


def test_experiments_table_prints_the_seed_counts():
    out = run("experiments").stdout
    for number, total in [(1, "244,760,768"), (7, "2,225,808"), (8, "23,724,416"), (9, "15,983,488"), (10, "81,821,888")]:
        line = next(line for line in out.splitlines() if line.split()[:1] == [str(number)])
        assert total in line
    assert "(40, 80, 180, 3)" in out and "(120, 96, 128, 3)" in out


@pytest.mark.slow
def test_video_runs_on_embedded_data_and_on_a_folder_of_videos(tmp_path):
    import imageio.v3 as iio

    run_dir = tmp_path / "video"
    run("train", "--variant", "wgan-gp", "--data", "moving-objects", "--shape", "4,8,8", "--width", "4",
        "--steps", "4", "--steps-per-epoch", "2", "--batch-size", "2", "--out", str(run_dir), "--quiet")
    run("sample", "--run", str(run_dir), "--n", "3", "--out", str(tmp_path / "clips.npy"), "--video",
        str(tmp_path / "clips.gif"))
    clips = np.load(tmp_path / "clips.npy")
    assert clips.shape == (3, 4, 8, 8, 3) and clips.dtype == np.uint8
    assert iio.imread(tmp_path / "clips.gif").shape[0] == 4  # one GIF frame per clip frame
    run("sample", "--run", str(run_dir), "--n", "2", "--out", str(tmp_path / "two.npy"), "--video",
        str(tmp_path / "clips.mp4"))
    assert iio.imread(tmp_path / "clips.mp4").shape[0] == 4

    videos = tmp_path / "videos"
    videos.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a.mp4", "b.gif"):
        iio.imwrite(videos / name, rng.integers(0, 255, (12, 16, 16, 3), dtype=np.uint8), **(
            {"fps": 10, "codec": "libx264"} if name.endswith(".mp4") else {"duration": 100}))
    before = sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in videos.iterdir())
    run("train", "--variant", "lsgan", "--data", str(videos), "--shape", "4,8,8", "--width", "4", "--steps", "2",
        "--steps-per-epoch", "2", "--batch-size", "2", "--out", str(tmp_path / "rec"), "--quiet")
    assert (tmp_path / "rec" / "generator.weights.h5").exists()
    assert sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in videos.iterdir()) == before
    (videos / "broken.mp4").write_bytes(b"not a video at all")
    bad = run("train", "--data", str(videos), "--shape", "4,8,8", "--steps", "2", "--steps-per-epoch", "2",
              "--out", str(tmp_path / "bad"), "--quiet", check=False)
    assert bad.returncode == 2 and "broken.mp4" in bad.stderr


def test_an_old_run_samples_the_same_after_a_code_default_changes(tmp_path, monkeypatch):
    """config.json holds the resolved sizes: a run is rebuilt from it, not from today's defaults."""
    from thesis_gan.models import mlp
    from thesis_gan.runs import RunConfig, load_record, resolve_models, sample_run, train_run

    cfg = RunConfig(variant="gan", data="ring", steps=10, steps_per_epoch=10, batch_size=32)
    train_run(cfg, str(tmp_path / "run"), verbose=0)
    before = sample_run(str(tmp_path / "run"), 64, seed=1)
    record = load_record(str(tmp_path / "run"))
    assert record["models"]["generator"]["hidden"] == 400 and record["versions"]["thesis_gan"]
    # a later version of the code: narrower MLPs by default (the 2-D setting names no width, so the default counts)
    monkeypatch.setattr(mlp.pacgan_generator, "__defaults__", (2, 64, 3, 2, 0.02, 0.95, 1e-4, 1, "generator"))
    assert resolve_models(cfg)["generator"]["hidden"] == 64  # today's code would build another network
    after = sample_run(str(tmp_path / "run"), 64, seed=1)
    assert np.array_equal(before, after)


@pytest.mark.slow
def test_bad_input_is_one_line_without_tensorflow_noise(tmp_path):
    bad = run("train", "--variant", "stylegan", "--data", "ring", "--out", str(tmp_path / "r"), check=False)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "error: unknown 2-D setting 'stylegan'; expected one of gan, pacgan4, wgan, wgan-gp, unrolled, lsgan"]
    debug = run("--debug", "train", "--variant", "stylegan", "--data", "ring", "--out", str(tmp_path / "r"), check=False)
    assert debug.returncode != 0 and "Traceback" in debug.stderr
