"""Nothing lost: a run killed at random moments (SIGKILL) or stopped by SIGTERM and restarted ends with exactly the
numbers of an uninterrupted run with the same seed, in real `thesis-gan` subprocesses."""
import os
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

from conftest import ROOT, thesis_gan_cmd

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1"}

# 2-D WGAN-GP: 5 critic steps per generator step, each with random interpolation weights (the objective's seed)
WGAN_GP_2D = ["--variant", "wgan-gp", "--data", "ring", "--batch-size", "16", "--steps", "60", "--steps-per-epoch", "20",
              "--checkpoint-every", "4", "--seed", "5"]
# a small video run: 3-D (transposed) convolutions, BatchNorm, clips rendered from the seed
VIDEO = ["--variant", "gan", "--data", "moving-objects", "--shape", "4,8,8", "--width", "4", "--batch-size", "2",
         "--steps", "36", "--steps-per-epoch", "12", "--checkpoint-every", "2", "--seed", "2"]


def start(args, out):
    return subprocess.Popen(thesis_gan_cmd() + ["train", *args, "--out", str(out), "--quiet"], env=ENV, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def finish(proc):
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, f"exit {proc.returncode}:\n{out}\n{err}"
    return err


def newest_step(run_dir):
    names = sorted((run_dir / "checkpoints").glob("checkpoint-*.weights.h5")) if (run_dir / "checkpoints").exists() else []
    return int(names[-1].name[11:20]) if names else -1


def wait_for_progress(proc, run_dir, after, timeout=300):
    """Wait until the run has written a checkpoint newer than step `after` (so that it is training)."""
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None and newest_step(run_dir) <= after:
        time.sleep(0.05)
    assert proc.poll() is None, f"the run ended before it could be stopped:\n{proc.communicate()}"


def h5_arrays(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
        out.update({"@" + k: np.asarray(v) for k, v in f.attrs.items()})
    return out


def final_state(run_dir):
    """Every number a finished run holds: both networks, both optimisers, the random states, the step counter."""
    state = {}
    for name in ("generator.weights.h5", "discriminator.weights.h5"):
        state.update({f"{name}/{k}": v for k, v in h5_arrays(run_dir / name).items()})
    newest = sorted((run_dir / "checkpoints").glob("checkpoint-*.weights.h5"))[-1]  # written at the last step
    state.update({f"checkpoint/{k}": v for k, v in h5_arrays(newest).items()})
    return state


def assert_same_run(a, b):
    sa, sb = final_state(a), final_state(b)
    assert sa.keys() == sb.keys()
    differ = [k for k in sa if not np.array_equal(sa[k], sb[k])]
    assert not differ, f"{len(differ)} of {len(sa)} arrays differ, e.g. {differ[:4]}"
    assert any("optimizer" in k for k in sa) and "checkpoint/@random_states" in sa


def samples(run_dir, tmp_path):
    out = tmp_path / f"{run_dir.name}.npy"
    result = subprocess.run(thesis_gan_cmd() + ["sample", "--run", str(run_dir), "--n", "64", "--seed", "7", "--out",
                                                str(out)], env=ENV, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return np.load(out)


def killed_and_resumed(args, run_dir, rng, kills=2):
    """SIGKILL the run `kills` times at random moments after it has made progress, restart it each time; finish it."""
    for _ in range(kills):
        proc = start(args, run_dir)
        wait_for_progress(proc, run_dir, newest_step(run_dir))
        time.sleep(rng.uniform(0.0, 0.6))  # anywhere: inside a step, inside a checkpoint's write, between the two
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    return finish(start(args, run_dir))


@pytest.mark.slow
@pytest.mark.parametrize("args", [WGAN_GP_2D, VIDEO], ids=["wgan-gp-2d", "video"])
def test_killed_runs_end_bit_exactly_as_uninterrupted_ones(tmp_path, args):
    rng = np.random.default_rng(13)  # the kill moments: random, reproducible
    plain, again = start(args, tmp_path / "plain"), start(args, tmp_path / "again")
    killed = tmp_path / "killed"
    err = killed_and_resumed(args, killed, rng)
    finish(plain), finish(again)
    assert "resuming" in err
    assert_same_run(tmp_path / "plain", tmp_path / "again")  # one seed, one result
    assert_same_run(tmp_path / "plain", killed)
    assert np.array_equal(samples(tmp_path / "plain", tmp_path), samples(killed, tmp_path))


@pytest.mark.slow
def test_sigterm_saves_a_checkpoint_and_the_restart_ends_as_an_uninterrupted_run(tmp_path):
    args = WGAN_GP_2D
    plain = start(args, tmp_path / "plain")
    run_dir = tmp_path / "stopped"
    proc = start(args, run_dir)
    wait_for_progress(proc, run_dir, -1)
    os.killpg(proc.pid, signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    line = err.strip().splitlines()[-1]
    assert line.startswith("interrupted at step ") and line.endswith("; checkpoint saved, run the same command to resume")
    step = int(line.split()[3].rstrip(";"))
    assert newest_step(run_dir) == step and 0 < step < 60 and not (run_dir / "generator.weights.h5").exists()
    err = finish(start(args, run_dir))
    assert f"resuming {run_dir} at step {step} of 60" in err
    finish(plain)
    assert_same_run(tmp_path / "plain", run_dir)
    epochs = [line.split(",")[0] for line in (run_dir / "history.csv").read_text().splitlines()[1:]]
    assert epochs == ["0", "1", "2"]  # one row per epoch, none repeated
