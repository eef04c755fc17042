"""The layered video GAN: layers and composite, conditioning, every variant through the one trainer, EMA, run folders."""
import json
import os
import subprocess

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import ROOT, thesis_gan_cmd
from thesis_gan.models.layered import (LayeredVideoGenerator, MotionDiscriminator, boxes_from_masks, composite,
                                       translate)
from thesis_gan.objectives.registry import VARIANTS, get_variant
from thesis_gan.training.trainer import GAN, copy_ema_weights, train

SHAPE = (4, 8, 8)


def labels(n, kind=0, direction=0, speed=0, objects=1):
    return np.tile(np.array([kind, direction, speed], "int32"), (n, objects, 1))


def test_layers_have_their_shapes_masks_lie_in_0_1_and_the_clip_is_their_composite():
    keras.utils.set_random_seed(0)
    g = LayeredVideoGenerator((4, 16, 16), objects=2, camera=True)
    z = np.random.default_rng(0).standard_normal((3, g.latent_dim)).astype("float32")
    out = {k: v.numpy() for k, v in g.layers_of([z, labels(3, objects=2)]).items()}
    assert out["clip"].shape == out["background"].shape == (3, 4, 16, 16, 3)
    assert out["foregrounds"].shape == (3, 2, 4, 16, 16, 3) and out["masks"].shape == (3, 2, 4, 16, 16, 1)
    assert out["centers"].shape == (3, 2, 4, 2) and out["camera"].shape == (3, 4, 2)
    assert out["masks"].min() >= 0 and out["masks"].max() <= 1
    m, f, b = out["masks"], out["foregrounds"], out["background"]
    expected = m[:, 1] * f[:, 1] + (1 - m[:, 1]) * (m[:, 0] * f[:, 0] + (1 - m[:, 0]) * b)
    np.testing.assert_allclose(out["clip"], expected, atol=1e-6)
    lo, hi = 16 / 127.5 - 1, 144 / 127.5 - 1  # the renderer's grey range: the background cannot hold an object
    inside = b[:, :, 2:-2, 2:-2]  # away from the borders a moving camera leaves
    assert inside.min() >= lo - 1e-5 and inside.max() <= hi + 1e-5
    assert boxes_from_masks(m).shape == (3, 2, 4, 4)


def test_composite_of_one_layer_is_m_f_plus_one_minus_m_b():
    rng = np.random.default_rng(1)
    b, f, m = rng.uniform(-1, 1, (2, 3, 4, 4, 3)), rng.uniform(-1, 1, (2, 1, 3, 4, 4, 3)), rng.uniform(0, 1, (2, 1, 3, 4, 4, 1))
    np.testing.assert_allclose(composite(b, f, m), m[:, 0] * f[:, 0] + (1 - m[:, 0]) * b, atol=1e-12)


def test_translation_moves_a_pixel_exactly_and_splits_half_pixels():
    sprite = np.zeros((1, 4, 4, 1), "float32")
    sprite[0, 1, 2] = 1.0  # source pixel (row 1, column 2); the sprite's centre is at (2, 2)
    out = translate(sprite, tf.constant([[[5.0, 6.0], [5.5, 6.0]]]), (10, 10)).numpy()[0, ..., 0]
    # centre at (x=5, y=6): the pixel lands at row 6 + (1 - 2) = 5, column 5 + (2 - 2) = 5
    expected = np.zeros((10, 10)); expected[5, 5] = 1
    np.testing.assert_allclose(out[0], expected, atol=1e-6)
    expected = np.zeros((10, 10)); expected[5, 5] = expected[5, 6] = 0.5
    np.testing.assert_allclose(out[1], expected, atol=1e-6)


def test_the_conditional_generator_and_discriminator_depend_on_the_labels():
    keras.utils.set_random_seed(0)
    g, d = LayeredVideoGenerator(SHAPE), MotionDiscriminator(SHAPE)
    z = np.random.default_rng(0).standard_normal((2, g.latent_dim)).astype("float32")
    a, b = g([z, labels(2, 0, 0, 0)]).numpy(), g([z, labels(2, 2, 5, 1)]).numpy()
    assert np.abs(a - b).max() > 1e-4
    assert np.abs(d([a, labels(2, 0, 0, 0)]).numpy() - d([a, labels(2, 2, 5, 1)]).numpy()).max() > 1e-6
    absent = g.layers_of([z, labels(2, -1, -1, -1)])
    assert float(tf.reduce_max(absent["masks"])) == 0.0  # an absent object has no silhouette


def test_bad_shapes_fail_with_one_line():
    with pytest.raises(ValueError, match=r"shape must be \(T, H, W\).*got \(4, 8\)"):
        LayeredVideoGenerator((4, 8))
    with pytest.raises(ValueError, match="objects must be a positive number of object layers, got 0"):
        LayeredVideoGenerator(SHAPE, objects=0)


def _data(n=8):
    rng = np.random.default_rng(0)
    clips = rng.integers(0, 255, (n, *SHAPE, 3), dtype=np.uint8)
    return tf.data.Dataset.from_tensor_slices((clips, labels(n, 1, 2, 0)))


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_every_variant_trains_the_layered_models_through_the_one_trainer(name):
    keras.utils.set_random_seed(0)
    variant = get_variant(name)
    g, d = LayeredVideoGenerator(SHAPE, width=8, hidden=8), MotionDiscriminator(SHAPE, width=4)
    gan = GAN(g, d, variant.make_objective(), g.latent_dim, seed=0)
    gan.compile(variant.make_d_optimizer(), variant.make_g_optimizer())
    before = [w.numpy().copy() for w in g.trainable_variables]
    history = train(gan, _data(), steps=1, batch_size=2, verbose=0)
    assert np.isfinite(history.history["d_loss"][0]) and np.isfinite(history.history["g_loss"][0])
    assert any(np.abs(w.numpy() - w0).max() > 0 for w, w0 in zip(g.trainable_variables, before))


def test_ema_weights_differ_from_the_last_steps_and_copy_into_a_twin():
    keras.utils.set_random_seed(0)
    g, d = LayeredVideoGenerator(SHAPE, width=8, hidden=8), MotionDiscriminator(SHAPE, width=4)
    gan = GAN(g, d, get_variant("gan").make_objective(), g.latent_dim, seed=0)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2, use_ema=True, ema_momentum=0.9))
    train(gan, _data(), steps=3, batch_size=2, verbose=0)
    twin = LayeredVideoGenerator(SHAPE, width=8, hidden=8)
    twin.build(None)
    copy_ema_weights(gan, twin)
    raw, average = [w.numpy() for w in g.trainable_variables], [w.numpy() for w in twin.trainable_variables]
    assert max(np.abs(a - r).max() for a, r in zip(average, raw)) > 1e-4
    plain = GAN(g, d, get_variant("gan").make_objective(), g.latent_dim)
    plain.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    with pytest.raises(ValueError, match="no moving average"):
        copy_ema_weights(plain, twin)


@pytest.mark.slow
def test_the_cli_trains_a_layered_run_and_samples_its_ema_weights(tmp_path):
    from thesis_gan.runs import GENERATOR_EMA, load_generator, random_labels, sample_run

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "THESIS_GAN_CACHE": str(tmp_path / "cache")}
    run_dir = tmp_path / "run"
    cmd = thesis_gan_cmd() + ["train", "--data", "moving-objects", "--shape", "4,8,8", "--model", "layered",
                              "--width", "4", "--steps", "2", "--steps-per-epoch", "2", "--batch-size", "2",
                              "--clips", "8", "--out", str(run_dir), "--quiet"]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    record = json.loads((run_dir / "config.json").read_text())
    assert record["models"]["kind"] == "layered" and record["models"]["generator"]["conditional"]
    assert record["optimizers"]["generator"]["config"]["use_ema"]
    assert (run_dir / GENERATOR_EMA).exists() and os.listdir(tmp_path / "cache")
    sample = thesis_gan_cmd() + ["sample", "--run", str(run_dir), "--n", "3", "--out", str(tmp_path / "c.npy")]
    assert subprocess.run(sample, capture_output=True, text=True, env=env, cwd=ROOT).returncode == 0
    clips = np.load(tmp_path / "c.npy")
    assert clips.shape == (3, 4, 8, 8, 3) and clips.dtype == np.uint8
    # sampling uses the EMA weights: the same clips as the EMA generator's, not the last step's
    ema, latent_dim, _ = load_generator(run_dir)
    raw, _, _ = load_generator(run_dir, ema=False)
    z = np.random.default_rng(0).standard_normal((3, latent_dim)).astype("float32")
    lab = random_labels(ema.label_shape, 3, seed=0)
    from thesis_gan.data.pipeline import to_uint8

    assert np.array_equal(clips, to_uint8(ema([z, lab]).numpy()))
    assert not np.array_equal(sample_run(run_dir, 3, ema=False), clips) or \
        max(np.abs(a.numpy() - b.numpy()).max() for a, b in zip(ema.weights, raw.weights)) > 0
    with pytest.raises(ValueError, match=r"labels must have shape \(3, 1, 3\), got \(3, 3\)"):
        sample_run(run_dir, 3, labels=np.zeros((3, 3), "int32"))
