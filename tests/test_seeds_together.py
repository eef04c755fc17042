"""Seeds trained together ("Ten seeds at once") are exactly independent trainings: S seeds as one network with a
seed axis on every weight give, step for step, the weights of S separate networks trained alone on the same data."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from thesis_gan.models.mlp import pacgan_discriminator, pacgan_generator
from thesis_gan.objectives.registry import get_setting_2d
from thesis_gan.objectives.unrolled import Unrolled
from thesis_gan.runs import RunConfig, sample_run, train_run
from thesis_gan.training.trainer import GAN

S, B, LATENT = 3, 8, 2
SMALL_G = dict(latent_dim=LATENT, hidden=16, depth=2)
SMALL_D = dict(units=8, pieces=3, depth=2)


class FixedLatents(GAN):
    """A GAN whose latent draws come from a list (eagerly, in order), so that two GANs can see the same latents."""

    def __init__(self, *args, latents, **kwargs):
        super().__init__(*args, **kwargs)
        self.latents, self.calls = latents, 0

    def sample_latent(self, n):
        z = self.latents[self.calls % len(self.latents)]
        self.calls += 1
        return z


def copy_into_seed(together, alone, s):
    """Write the weights of a one-seed network into seed `s` of a seeded network of the same architecture."""
    for big, small in zip(together.weights, alone.weights):
        value = keras.ops.convert_to_numpy(big).copy()
        value[s] = keras.ops.convert_to_numpy(small).reshape(value.shape[1:])
        big.assign(value)


def seed_slice(together, s):
    return [keras.ops.convert_to_numpy(w)[s] for w in together.weights]


@pytest.mark.parametrize("name,pack,objective", [("pacgan4", 2, None), ("wgan", 1, None),
                                                  ("unrolled", 1, Unrolled(unroll_steps=3))])
def test_seeds_together_equal_seeds_alone(name, pack, objective):
    setting = get_setting_2d(name)
    n_critic = setting.make_objective().n_critic
    rng = np.random.default_rng(0)
    steps = 2
    latents = [rng.standard_normal((S * B, LATENT)).astype("float32") for _ in range(steps * (n_critic + 1))]
    data = [rng.standard_normal((S * B * n_critic, 2)).astype("float32") for _ in range(steps)]

    def make(seeds, latents):
        g = pacgan_generator(**SMALL_G, seeds=seeds)
        d = pacgan_discriminator(**SMALL_D, pack=pack, seeds=seeds)
        gan = FixedLatents(g, d, objective or setting.make_objective(), LATENT, seeds=seeds, latents=latents)
        gan.compile(setting.make_d_optimizer(), setting.make_g_optimizer())
        return gan

    keras.utils.set_random_seed(0)
    together = make(S, [tf.constant(z) for z in latents])
    alone = []
    for s in range(S):
        gan = make(1, [tf.constant(z[s * B:(s + 1) * B]) for z in latents])
        copy_into_seed(together.generator, gan.generator, s)
        copy_into_seed(together.discriminator, gan.discriminator, s)
        alone.append(gan)

    for batch in data:
        together.train_step(tf.constant(batch))
        # the trainer splits a step's data into n_critic minibatches; seed s owns rows s·B … (s+1)·B − 1 of each
        minibatches = batch.reshape(n_critic, S, B, 2)
        for s, gan in enumerate(alone):
            gan.train_step(tf.constant(minibatches[:, s].reshape(-1, 2)))

    for s, gan in enumerate(alone):
        for net_together, net_alone in ((together.generator, gan.generator),
                                        (together.discriminator, gan.discriminator)):
            for a, b in zip(seed_slice(net_together, s), net_alone.weights):
                assert np.allclose(a, keras.ops.convert_to_numpy(b).reshape(a.shape), rtol=1e-4, atol=1e-6)


def test_a_run_of_several_seeds_samples_each_seed(tmp_path):
    cfg = RunConfig(variant="gan", data="ring", steps=4, seeds=3, steps_per_epoch=2)
    train_run(cfg, str(tmp_path / "run"), verbose=0)
    samples = sample_run(str(tmp_path / "run"), 5, seed=1)
    assert samples.shape == (3, 5, 2) and samples.dtype == np.float32
    assert not np.allclose(samples[0], samples[1])  # three different generators
    with pytest.raises(ValueError, match="seeds must be 1, or more for 2-D points"):
        RunConfig(variant="gan", data="moving-objects", shape=(4, 8, 8), seeds=2)
