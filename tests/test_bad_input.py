"""Every wrong input to `thesis-gan` ends with one line on stderr that says what was expected and what was given, a
non-zero exit code and no traceback; a forced divergence stops with exit 1 and keeps the last good checkpoint.

The command line is called in-process (`thesis_gan.cli.main`, the console script's entry point) to keep the suite
fast; tests/test_cli.py runs it in subprocesses (and checks that no TensorFlow start-up line is printed)."""
import json

import numpy as np
import pytest

from conftest import ROOT
from thesis_gan.cli import main

TINY_2D = ["--variant", "gan", "--data", "ring", "--steps", "4", "--steps-per-epoch", "2", "--batch-size", "8",
           "--quiet"]


def one_line_error(capsys, argv, code=2):
    """Run the command; assert exit `code` and exactly one line on stderr, starting with `error: `; return it."""
    assert main(argv) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "Traceback" not in err[0], err
    return err[0]


def test_a_forced_divergence_stops_with_exit_1_and_keeps_a_loadable_checkpoint(tmp_path, capsys):
    from thesis_gan.runs import build_run, load_record
    from thesis_gan.training.checkpoint import checkpoint_paths, restore_checkpoint

    run_dir = tmp_path / "run"
    line = one_line_error(capsys, ["train", "--variant", "gan", "--data", "ring", "--steps", "200", "--steps-per-epoch",
                                   "20", "--checkpoint-every", "2", "--batch-size", "16", "--lr", "1e6", "--out",
                                   str(run_dir), "--quiet"], code=1)
    assert line.startswith("error: training diverged at step ") and " is nan" in line
    step = int(line.split("step ")[1].split(":")[0])
    assert line.split(": ")[2].split(" is ")[0] in ("d_loss", "g_loss")
    record = load_record(run_dir)
    assert record["run"]["d_lr"] == record["run"]["g_lr"] == 1e6
    assert record["optimizers"]["generator"]["config"]["learning_rate"] == 1e6
    assert checkpoint_paths(run_dir / "checkpoints") and not (run_dir / "generator.weights.h5").exists()
    gan = build_run(record)
    kept = restore_checkpoint(gan, str(run_dir / "checkpoints"))
    assert 0 < kept < step and all(np.isfinite(np.asarray(w)).all() for w in gan.weights)


def test_clip_shapes_the_architecture_cannot_produce(tmp_path, capsys):
    line = one_line_error(capsys, ["train", "--data", "moving-objects", "--experiment", "3", "--experiment-scale",
                                   "quick", "--shape", "4,8,8", "--out", str(tmp_path / "r")])
    assert "experiment 3" in line and "4,8,8" in line and "produces clips of T,H,W" in line
    line = one_line_error(capsys, ["train", "--data", "moving-objects", "--shape", "4,8,8", "--width", "0", "--out",
                                   str(tmp_path / "r")])
    assert "width must be a positive number of filters, got 0" in line


@pytest.fixture(scope="module")
def a_video(tmp_path_factory):
    import imageio.v3 as iio

    path = tmp_path_factory.mktemp("src") / "good.mp4"
    frames = np.random.default_rng(0).integers(0, 255, (12, 16, 16, 3), dtype=np.uint8)
    iio.imwrite(path, frames, fps=10, codec="libx264")
    return path.read_bytes()


@pytest.mark.parametrize("kind", ["corrupt", "truncated", "empty", "not-a-video"])
def test_a_bad_file_among_the_training_videos(tmp_path, capsys, a_video, kind):
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "good.mp4").write_bytes(a_video)
    bad = {"corrupt": a_video[:48] + bytes(np.random.default_rng(1).integers(0, 256, len(a_video), dtype=np.uint8)),
           "truncated": a_video[: len(a_video) // 3], "empty": b"",
           "not-a-video": b"shopping list: milk, eggs\n"}[kind]
    (videos / "bad.mp4").write_bytes(bad)
    line = one_line_error(capsys, ["train", "--data", str(videos), "--shape", "4,8,8", "--width", "4", "--steps", "2",
                                   "--steps-per-epoch", "2", "--batch-size", "2", "--out", str(tmp_path / "r"),
                                   "--quiet"])
    assert "bad.mp4" in line
    assert {"empty": "empty", "not-a-video": "not a video", "truncated": "truncated or damaged",
            "corrupt": "damaged"}[kind] in line


def test_an_unwritable_output_path(tmp_path, capsys):
    (tmp_path / "a-file").write_text("not a folder")
    line = one_line_error(capsys, ["train", *TINY_2D, "--out", str(tmp_path / "a-file" / "run")])
    assert "cannot write the run folder" in line and "a-file" in line
    line = one_line_error(capsys, ["train", *TINY_2D, "--out", str(tmp_path / "a-file")])
    assert "is a file, not a folder" in line


def test_run_folders_of_another_version_or_another_run_are_refused_and_overwrite_replaces(tmp_path, capsys):
    from thesis_gan.runs import RunConfig, run_record

    old = tmp_path / "old"
    old.mkdir()
    (old / "config.json").write_text(json.dumps({"format": 1, "run": {}, "versions": {"thesis_gan": "0.0.9"}}))
    line = one_line_error(capsys, ["train", *TINY_2D, "--out", str(old)])
    assert "format 1 (thesis_gan 0.0.9)" in line and "format 2" in line and "--overwrite" in line

    other = tmp_path / "other"
    other.mkdir()
    record = run_record(RunConfig(variant="gan", data="ring", steps=4, steps_per_epoch=2, batch_size=8, seed=1))
    (other / "config.json").write_text(json.dumps(record))
    line = one_line_error(capsys, ["train", *TINY_2D, "--seed", "2", "--out", str(other)])
    assert "holds another run (seed: 1 there, 2 here)" in line

    assert main(["train", *TINY_2D, "--out", str(other)]) == 2  # the same run but seed 0: refused, nothing touched
    assert json.loads((other / "config.json").read_text())["run"]["seed"] == 1
    capsys.readouterr()
    assert main(["train", *TINY_2D, "--out", str(other), "--overwrite"]) == 0
    assert json.loads((other / "config.json").read_text())["run"]["seed"] == 0 and (other / "generator.weights.h5").exists()
    line = one_line_error(capsys, ["train", *TINY_2D, "--out", str(other)])
    assert "holds a finished run" in line and "--overwrite" in line
    first = (other / "generator.weights.h5").stat().st_mtime_ns
    assert main(["train", *TINY_2D, "--out", str(other), "--overwrite"]) == 0
    assert (other / "generator.weights.h5").stat().st_mtime_ns != first
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    assert main(["train", *TINY_2D, "--out", str(tmp_path / "mine"), "--overwrite"]) == 2  # not a run folder
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"


@pytest.mark.parametrize("name,value,expected", [
    ("steps", "abc", "chapter parameter 'steps' of 13_using_gans expects int, got 'abc' (str)"),
    ("shape", "4", "chapter parameter 'shape' of 13_using_gans expects tuple, got 4 (int)"),
    ("stpes", "100", "unknown chapter parameter 'stpes' (given 100); the chosen chapters take "),
])
def test_chapter_parameters_of_the_wrong_type_or_unknown(tmp_path, capsys, name, value, expected):
    pytest.importorskip("papermill")
    line = one_line_error(capsys, ["chapters", "--only", "13_using_gans", "--root", str(ROOT), "--out",
                                   str(tmp_path / "book"), "-p", name, value])
    assert expected in line
    assert not (tmp_path / "book").exists()  # refused before anything ran
