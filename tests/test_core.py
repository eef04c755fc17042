"""The theory chapter's closed forms and the trainer's bookkeeping."""
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from thesis_gan.training.trainer import GAN, build_gan, train
from thesis_gan.objectives.gan import NonSaturatingGAN
from thesis_gan.objectives.base import Objective, per_sample_sum
from thesis_gan.data.pipeline import training_batches, to_signed_unit
from thesis_gan.objectives.registry import get_variant
from thesis_gan.theory import jensen_shannon, normal_pdf, optimal_discriminator, value_function

X = np.linspace(-20, 25, 90001)  # wide enough that every density integrates to 1
DX = X[1] - X[0]


def test_optimal_discriminator_is_the_density_ratio():
    p, q = normal_pdf(X, 0, 1), normal_pdf(X, 1, 2)
    d = optimal_discriminator(p, q)
    assert np.allclose(d, p / (p + q))
    assert np.all(optimal_discriminator(p, p) == 0.5)


@pytest.mark.parametrize("mu,std", [(0.0, 1.0), (1.5, 0.7), (4.0, 2.0)])
def test_value_at_optimum_is_minus_log4_plus_2jsd(mu, std):
    p, q = normal_pdf(X, 0, 1), normal_pdf(X, mu, std)
    v = value_function(optimal_discriminator(p, q), p, q, DX)
    assert v == pytest.approx(-math.log(4) + 2 * jensen_shannon(p, q, DX), abs=1e-6)
    assert -math.log(4) - 1e-6 <= v <= 1e-6  # JSD ∈ [0, log 2]


def test_optimal_discriminator_beats_perturbations():
    p, q = normal_pdf(X, 0, 1), normal_pdf(X, 2, 1)
    d = optimal_discriminator(p, q)
    best = value_function(d, p, q, DX)
    rng = np.random.default_rng(0)
    for _ in range(5):
        assert value_function(np.clip(d + rng.normal(0, 0.05, d.shape), 0, 1), p, q, DX) < best


def test_jsd_of_disjoint_supports_is_log2():
    p = np.where(np.abs(X + 5) < 0.5, 1.0, 0.0)
    q = np.where(np.abs(X - 5) < 0.5, 1.0, 0.0)
    assert jensen_shannon(p, q, DX) == pytest.approx(math.log(2), rel=1e-3)


def test_gan_losses_closed_forms():
    obj = NonSaturatingGAN()
    s = tf.constant([[0.3], [-1.2], [2.0]])
    sig = 1 / (1 + np.exp(-s.numpy()))
    assert float(obj.discriminator_loss(s, -s)) == pytest.approx(float(np.mean(-np.log(sig)) + np.mean(-np.log(1 - 1 / (1 + np.exp(s.numpy()))))), rel=1e-5)
    assert float(obj.generator_loss(s)) == pytest.approx(float(np.mean(-np.log(sig))), rel=1e-5)
    assert float(NonSaturatingGAN(saturating=True).generator_loss(s)) == pytest.approx(float(np.mean(np.log(1 - sig))), rel=1e-5)


def test_non_saturating_gradient_does_not_vanish_where_the_generator_is_poor():
    s = tf.Variable([[-10.0]])
    with tf.GradientTape(persistent=True) as tape:
        ns = NonSaturatingGAN().generator_loss(s)
        sat = NonSaturatingGAN(saturating=True).generator_loss(s)
    assert abs(float(tape.gradient(ns, s)[0, 0])) > 0.99
    assert abs(float(tape.gradient(sat, s)[0, 0])) < 1e-4


def test_per_sample_sum_any_rank():
    for shape in [(3,), (3, 2), (3, 4, 4, 2), (3, 2, 4, 4, 2)]:
        out = per_sample_sum(tf.ones(shape))
        assert out.shape == (3,) and np.allclose(out, np.prod(shape[1:]))


def test_uint8_frames_map_to_signed_unit_range():
    x = to_signed_unit(tf.constant([0, 255, 128], tf.uint8))
    assert np.allclose(x, [-1.0, 1.0, 128 / 127.5 - 1], atol=1e-6)
    assert to_signed_unit(tf.constant([0.5])).dtype == tf.float32


class CountingObjective(NonSaturatingGAN):
    """Counts critic steps and records the batch size each one saw."""

    name = "counting"
    n_critic = 3

    def __init__(self):
        super().__init__()
        self.sizes = []

    def constrain(self, discriminator):
        self.sizes.append("step")


def _tiny(latent=4):
    g = keras.Sequential([keras.Input((latent,)), keras.layers.Dense(2)])
    d = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    return g, d


def test_train_step_runs_n_critic_discriminator_steps_per_generator_step():
    g, d = _tiny()
    obj = CountingObjective()
    gan = GAN(g, d, obj, latent_dim=4, seed=0)
    gan.compile(keras.optimizers.SGD(0.01), keras.optimizers.SGD(0.01))
    gan.train_step(tf.zeros((3 * 8, 2)))  # eager: the python hook runs once per critic step
    assert len(obj.sizes) == 3
    assert int(gan.d_optimizer.iterations) == 3 and int(gan.g_optimizer.iterations) == 1


def test_critic_batches_hold_n_critic_minibatches():
    ds = tf.data.Dataset.range(100).map(lambda i: tf.fill((2,), tf.cast(i, tf.float32)))
    batch = next(iter(training_batches(ds, 8, CountingObjective().n_critic)))
    assert batch.shape == (24, 2)


def test_train_counts_generator_steps_and_rejects_bad_budgets():
    g, d = _tiny()
    gan = build_gan("gan", g, d, 4, seed=0)
    data = tf.data.Dataset.from_tensor_slices(np.zeros((64, 2), "float32"))
    train(gan, data, 30, 16, steps_per_epoch=10, verbose=0)
    assert int(gan.g_optimizer.iterations) == 30
    with pytest.raises(ValueError, match="multiple"):
        train(gan, data, 25, 16, steps_per_epoch=10, verbose=0)
    with pytest.raises(ValueError, match="positive"):
        train(gan, data, 0, 16, verbose=0)


def test_float_frames_are_refused_at_the_models_edge():
    g, d = _tiny()
    gan = build_gan("gan", g, d, 4, seed=0)
    with pytest.raises(TypeError, match="expected uint8 frames"):
        gan.train_step(tf.zeros((8, 4, 4, 3)))  # float images: their scale is unknown


def test_unknown_variant_lists_the_known_ones():
    with pytest.raises(ValueError, match="expected one of gan, wgan, wgan-gp, unrolled, lsgan"):
        get_variant("stylegan")


def test_objective_base_class_requires_losses():
    with pytest.raises(NotImplementedError):
        Objective().discriminator_loss(0, 0)
