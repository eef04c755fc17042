"""The GAN variants of Part I: WGAN clipping and n_critic, the gradient penalty, LSGAN's closed forms, the unrolled
GAN's second-order gradient, and a few training steps of every variant on points, images and videos."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from thesis_gan.objectives.gan import NonSaturatingGAN
from thesis_gan.objectives.base import Variant
from thesis_gan.training.trainer import build_gan, train
from thesis_gan.data.pipeline import training_batches
from thesis_gan.objectives.registry import get_variant
from thesis_gan.objectives.lsgan import LeastSquares
from thesis_gan.objectives.unrolled import Unrolled, adam_unrolled, unrolled_gradient_check
from thesis_gan.objectives.wgan import Wasserstein, clip_weights
from thesis_gan.objectives.wgan_gp import WassersteinGP, gradient_penalty

VARIANTS = ["gan", "wgan", "wgan-gp", "unrolled", "lsgan"]


def numpy(x):
    return keras.ops.convert_to_numpy(x)


def point_models(latent_dim=4):
    g = keras.Sequential([keras.Input((latent_dim,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2)])
    d = keras.Sequential([keras.Input((2,)), keras.layers.Dense(8), keras.layers.LeakyReLU(0.2), keras.layers.Dense(1)])
    return g, d


# ---------------------------------------------------------------- WGAN

def test_wgan_losses_and_registered_hyperparameters():
    w = Wasserstein()
    assert float(w.discriminator_loss(tf.constant([[3.0], [5.0]]), tf.constant([[1.0], [0.0]]))) == pytest.approx(-3.5)
    assert float(w.generator_loss(tf.constant([2.0, 4.0]))) == pytest.approx(-3.0)
    variant = get_variant("wgan")
    objective = variant.make_objective()
    assert isinstance(objective, Wasserstein) and objective.n_critic == 5 and objective.clip_value == 0.01
    opt = variant.make_d_optimizer()
    assert isinstance(opt, keras.optimizers.RMSprop) and float(opt.learning_rate) == pytest.approx(5e-5)
    with pytest.raises(ValueError, match="clip_value"):
        Wasserstein(clip_value=-1)


def test_clip_weights_clips_only_outside_values():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
    model.layers[0].kernel.assign(np.linspace(-0.05, 0.05, 12).reshape(3, 4))
    clip_weights(model, 0.02)
    kernel = numpy(model.layers[0].kernel)
    expected = np.clip(np.linspace(-0.05, 0.05, 12).reshape(3, 4), -0.02, 0.02)
    assert np.allclose(kernel, expected)


def test_wgan_critic_weights_stay_in_the_clipping_box_after_training():
    keras.utils.set_random_seed(0)
    g, d = point_models()
    gan = build_gan("wgan", g, d, latent_dim=4, seed=0)
    assert max(np.abs(numpy(w)).max() for w in d.trainable_variables) > 0.01  # the initial weights are outside
    data = tf.data.Dataset.from_tensor_slices(np.random.default_rng(0).normal(size=(400, 2)).astype("float32"))
    train(gan, data, 3, 8, steps_per_epoch=3, verbose=0)
    for w in d.trainable_variables:
        assert np.abs(numpy(w)).max() <= 0.01 + 1e-9


def test_n_critic_bookkeeping_one_batch_is_n_critic_minibatches():
    keras.utils.set_random_seed(0)
    g, d = point_models()
    gan = build_gan("wgan", g, d, latent_dim=4, seed=0)
    batch = tf.constant(np.random.default_rng(0).normal(size=(5 * 8, 2)).astype("float32"))
    gan.train_step(batch)
    assert int(gan.d_optimizer.iterations) == 5 and int(gan.g_optimizer.iterations) == 1
    data = tf.data.Dataset.from_tensor_slices(np.zeros((100, 2), "float32"))
    assert next(iter(training_batches(data, 8, gan.objective.n_critic))).shape == (40, 2)
    with pytest.raises(Exception):  # 42 samples do not split into 5 equal minibatches
        gan.train_step(tf.zeros((42, 2)))


# ---------------------------------------------------------------- gradient penalty

def linear_critic(shape, norm, seed=0):
    critic = keras.Sequential([keras.Input(shape), keras.layers.Flatten(), keras.layers.Dense(1, use_bias=False)])
    w = np.random.default_rng(seed).standard_normal((int(np.prod(shape)), 1))
    critic.layers[-1].kernel.assign(norm * w / np.linalg.norm(w))
    return critic


@pytest.mark.parametrize("shape", [(2,), (8, 8, 3), (4, 8, 8, 3)])
@pytest.mark.parametrize("norm,expected", [(1.0, 0.0), (3.0, 4.0), (0.5, 0.25)])
def test_penalty_of_a_linear_critic_is_norm_minus_one_squared(shape, norm, expected):
    rng = np.random.default_rng(1)
    real, fake = (rng.standard_normal((6, *shape)).astype("float32") for _ in range(2))
    assert float(gradient_penalty(linear_critic(shape, norm), real, fake)) == pytest.approx(expected, abs=1e-4)


def quadratic(x, training=False):
    return 0.5 * tf.reduce_sum(tf.reshape(x, [tf.shape(x)[0], -1]) ** 2, axis=1)  # gradient = x


@pytest.mark.parametrize("shape", [(2,), (3, 3, 2), (2, 3, 3, 2)])
def test_penalty_of_a_quadratic_critic_matches_the_hand_computed_value(shape):
    rng = np.random.default_rng(2)
    real, fake, alpha = rng.standard_normal((5, *shape)), rng.standard_normal((5, *shape)), rng.uniform(size=5)
    a = alpha.reshape(-1, *[1] * len(shape))
    x_hat = (a * real + (1 - a) * fake).reshape(5, -1)  # alpha is per sample, broadcast over every other axis
    expected = np.mean((np.linalg.norm(x_hat, axis=1) - 1) ** 2)
    assert float(gradient_penalty(quadratic, real, fake, alpha=alpha)) == pytest.approx(expected, rel=1e-9)
    on_real = np.mean((np.linalg.norm(real.reshape(5, -1), axis=1) - 1) ** 2)
    assert float(gradient_penalty(quadratic, real, fake, alpha=np.ones(5))) == pytest.approx(on_real, rel=1e-9)


def test_penalty_draws_alpha_per_sample_in_the_unit_interval():
    # quadratic critic, real = 0 and fake = (2, 2): x_hat = (1 − α)·fake, so the penalty ((1 − α)·√8 − 1)² lies in
    # [0, (√8 − 1)²] for α ∈ [0, 1] and varies between draws
    real, fake = tf.ones((64, 2)) * 3.0, tf.ones((64, 2)) * 3.0
    assert float(gradient_penalty(quadratic, real, fake)) == pytest.approx((np.sqrt(18) - 1) ** 2, rel=1e-5)
    values = [float(gradient_penalty(quadratic, tf.zeros((1, 2)), tf.fill((1, 2), 2.0))) for _ in range(20)]
    assert len(set(np.round(values, 6))) > 1  # random α
    assert all(0.0 <= v <= (np.sqrt(8) - 1) ** 2 + 1e-6 for v in values)


def test_penalty_is_finite_where_the_critic_is_flat():
    critic = keras.Sequential([keras.Input((4, 8, 8, 3)), keras.layers.Flatten(),
                               keras.layers.Dense(1, kernel_initializer="zeros")])
    with tf.GradientTape() as tape:
        gp = gradient_penalty(critic, tf.ones((3, 4, 8, 8, 3)), tf.zeros((3, 4, 8, 8, 3)))
    grads = tape.gradient(gp, critic.trainable_variables)
    assert float(gp) == pytest.approx(1.0, abs=1e-5)  # (sqrt(eps) − 1)² with eps = 1e-12
    assert np.all(np.isfinite(numpy(grads[0]))) and np.allclose(numpy(grads[0]), 0.0)


def test_wgan_gp_objective_weights_the_penalty_and_does_not_clip():
    objective = WassersteinGP()
    assert objective.n_critic == 5 and objective.penalty_weight == 10.0 and objective.clip_value is None
    critic = linear_critic((2,), 3.0)
    real, fake = tf.random.normal((4, 2)), tf.random.normal((4, 2))
    assert float(objective.penalty(critic, real, fake)) == pytest.approx(40.0, rel=1e-4)
    before = [numpy(w).copy() for w in critic.trainable_variables]
    objective.constrain(critic)
    assert all(np.array_equal(b, numpy(w)) for b, w in zip(before, critic.trainable_variables))
    variant = get_variant("wgan-gp")
    assert variant.critic_batchnorm is False
    opt = variant.make_d_optimizer()
    assert float(opt.learning_rate) == pytest.approx(1e-4) and opt.beta_1 == 0.0 and opt.beta_2 == 0.9


# ---------------------------------------------------------------- LSGAN

@pytest.mark.parametrize("objective,d_loss,g_loss", [(LeastSquares(), 1.25, 0.5),
                                                     (LeastSquares.pearson(), 2.75, 1.0),
                                                     (LeastSquares(a=0, b=1, c=0.5), 1.25, 0.625)])
def test_lsgan_losses_match_hand_computed_values(objective, d_loss, g_loss):
    real, fake = tf.constant([[1.0], [0.0]]), tf.constant([[0.0], [2.0]])
    assert float(objective.discriminator_loss(real, fake)) == pytest.approx(d_loss)
    assert float(objective.generator_loss(fake)) == pytest.approx(g_loss)


def test_lsgan_losses_vanish_at_the_targets_and_codings_are_the_papers():
    o = LeastSquares.pearson()
    assert (o.a, o.b, o.c) == (-1.0, 1.0, 0.0) and (LeastSquares().a, LeastSquares().b, LeastSquares().c) == (0, 1, 1)
    assert float(o.discriminator_loss(tf.fill((3, 1), 1.0), tf.fill((3, 1), -1.0))) == 0.0
    assert float(o.generator_loss(tf.zeros((3,)))) == 0.0
    with pytest.raises(ValueError, match="labels must differ"):
        LeastSquares(a=1, b=1)


# ---------------------------------------------------------------- Unrolled GAN

def test_unrolled_gradient_matches_finite_differences():
    autodiff, numeric = unrolled_gradient_check(unroll_steps=3)
    assert np.abs(autodiff).max() > 1e-3
    assert np.allclose(autodiff, numeric, rtol=1e-3, atol=1e-7 * np.abs(numeric).max())


def test_unrolled_gradient_differs_from_one_that_detaches_the_samples():
    # a look-ahead computed on detached fake samples drops the second-order term: the check must notice
    class Detached(Unrolled):
        def generator_objective(self, gan, real, fake):
            trainable, non_trainable = self.unrolled_weights(gan, real, tf.stop_gradient(fake))
            scores, _ = gan.discriminator.stateless_call(trainable, non_trainable, fake, training=True)
            return self.base.generator_loss(scores)

    keras.utils.set_random_seed(0)
    g, d = point_models()
    gan = build_gan(Variant("u", lambda: Unrolled(3), adam_unrolled, adam_unrolled), g, d, latent_dim=4)
    z, real = tf.random.normal((16, 4), seed=1), tf.random.normal((16, 2), seed=2)
    for _ in range(2):  # the discriminator's Adam moments, from which the look-ahead continues, are not zero
        gan.discriminator_step(real)

    def grads(objective):
        with tf.GradientTape() as tape:
            loss = objective.generator_objective(gan, real, g(z, training=True))
        return np.concatenate([numpy(x).ravel() for x in tape.gradient(loss, g.trainable_variables)])

    assert not np.allclose(grads(Unrolled(3)), grads(Detached(3)), rtol=1e-3)


def test_unrolled_with_at_most_one_step_is_the_plain_gan():
    keras.utils.set_random_seed(0)
    g, d = point_models()
    gan = build_gan("gan", g, d, latent_dim=4)
    z, real = tf.random.normal((16, 4), seed=1), tf.random.normal((16, 2), seed=2)

    def grads(objective):
        with tf.GradientTape() as tape:
            loss = objective.generator_objective(gan, real, g(z, training=True))
        return [numpy(x) for x in tape.gradient(loss, g.trainable_variables)]

    for k in (0, 1):  # k updates ahead, the first of which is the discriminator's real one
        for a, b in zip(grads(Unrolled(unroll_steps=k)), grads(NonSaturatingGAN())):
            assert np.allclose(a, b, rtol=1e-6, atol=1e-8)


def test_unrolling_never_writes_the_discriminator():
    data = tf.constant(np.random.default_rng(0).normal(size=(16, 2)).astype("float32"))
    trained = {}
    for name, make in [("plain", NonSaturatingGAN), ("unrolled", lambda: Unrolled(unroll_steps=5))]:
        keras.utils.set_random_seed(0)
        g, d = point_models()
        gan = build_gan(Variant(name, make, adam_unrolled, adam_unrolled), g, d, latent_dim=4, seed=0)
        gan.train_step(data)
        trained[name] = ([numpy(v) for v in d.variables], [numpy(v) for v in g.trainable_variables])
    # the discriminator's step is the same (its own optimiser on the same data and latents) ...
    assert all(np.array_equal(a, b) for a, b in zip(trained["plain"][0], trained["unrolled"][0]))
    # ... while the generator's step differs (it looked ahead)
    assert not all(np.allclose(a, b) for a, b in zip(trained["plain"][1], trained["unrolled"][1]))


def test_unrolled_variant_defaults():
    objective = get_variant("unrolled").make_objective()
    assert isinstance(objective, Unrolled) and objective.unroll_steps == 5 and objective.n_critic == 1
    with pytest.raises(ValueError, match="unroll_steps"):
        Unrolled(unroll_steps=-1)


# ---------------------------------------------------------------- every variant on every sample rank

def tiny_models(sample_shape, latent_dim=8):
    """Generator Dense→Reshape→(Conv2DTranspose|Conv3DTranspose, tanh); critic Conv→Flatten→Dense(1)."""
    if len(sample_shape) == 1:
        g = keras.Sequential([keras.Input((latent_dim,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(sample_shape[0])])
        d = keras.Sequential([keras.Input(sample_shape), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
        return g, d
    conv_t = keras.layers.Conv2DTranspose if len(sample_shape) == 3 else keras.layers.Conv3DTranspose
    conv = keras.layers.Conv2D if len(sample_shape) == 3 else keras.layers.Conv3D
    start = tuple(n // 2 for n in sample_shape[:-1]) + (4,)
    g = keras.Sequential([keras.Input((latent_dim,)), keras.layers.Dense(int(np.prod(start)), activation="relu"),
                          keras.layers.Reshape(start),
                          conv_t(sample_shape[-1], 3, strides=2, padding="same", activation="tanh")])
    d = keras.Sequential([keras.Input(sample_shape), conv(4, 3, strides=2, padding="same"), keras.layers.LeakyReLU(0.2),
                          keras.layers.Flatten(), keras.layers.Dense(1)])
    return g, d


@pytest.mark.parametrize("sample_shape", [(2,), (8, 8, 3), (4, 8, 8, 3)], ids=["points", "images", "videos"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_trains_on_points_images_and_videos(variant, sample_shape):
    keras.utils.set_random_seed(0)
    g, d = tiny_models(sample_shape)
    gan = build_gan(variant, g, d, latent_dim=8, seed=0)
    rng = np.random.default_rng(0)
    if len(sample_shape) == 1:
        samples = rng.normal(size=(64, *sample_shape)).astype("float32")
    else:  # frames arrive as uint8 and are mapped to [-1, 1] by the trainer
        samples = rng.integers(0, 256, size=(64, *sample_shape), dtype=np.uint8)
    before = [numpy(w).copy() for w in g.trainable_variables + d.trainable_variables]
    batches = training_batches(tf.data.Dataset.from_tensor_slices(samples), 4, gan.objective.n_critic)
    for batch in batches.take(2):  # eager train steps: the same code as fit() runs, without tracing it
        logs = gan.train_step(batch)
    assert np.isfinite(float(logs["d_loss"])) and np.isfinite(float(logs["g_loss"]))
    after = g.trainable_variables + d.trainable_variables
    assert not np.array_equal(before[0], numpy(after[0]))                 # generator moved
    assert not np.array_equal(before[-2], numpy(after[-2]))               # critic moved
    assert gan.generator(tf.zeros((1, 8))).shape == (1, *sample_shape)
