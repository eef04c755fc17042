"""The DCGAN builders and variant: closed-form parameter counts, the architecture rules, one real training step."""
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from thesis_gan.objectives.gan import NonSaturatingGAN
from thesis_gan.training.trainer import build_gan, train
from thesis_gan.objectives.registry import get_variant
from thesis_gan.models.dcgan import (DiscriminatorSpec, DownBlock, GeneratorSpec, UpBlock, conv_discriminator, conv_generator)
from thesis_gan.models.summary import keras_kind, parameter_counts


def test_dcgan_trains_as_the_non_saturating_gan_with_the_papers_adam():
    v = get_variant("gan")
    assert type(v.make_objective()) is NonSaturatingGAN and not v.make_objective().saturating
    for make in (v.make_d_optimizer, v.make_g_optimizer):
        opt = make()
        assert float(opt.learning_rate) == pytest.approx(2e-4) and opt.beta_1 == pytest.approx(0.5)
    assert v.critic_batchnorm
    with pytest.raises(ValueError, match="DCGAN is an architecture"):
        get_variant("dcgan")


@pytest.mark.parametrize("base,blocks,out", [
    ((4, 4, 64), (UpBlock(32, 2), UpBlock(3, 2)), (16, 16, 3)),
    ((2, 3, 4, 16), (UpBlock(8, (1, 2, 2)), UpBlock(1, (3, 2, 1))), (6, 12, 8, 1)),
])
def test_generator_shapes_and_closed_form_counts(base, blocks, out):
    spec = GeneratorSpec(10, base, blocks, out_channels=out[-1], kernel_size=3)
    g = conv_generator(spec)
    assert spec.output_shape == out == g.output_shape[1:]
    units = math.prod(base)
    hidden = sum(b.filters for b in blocks[:-1])
    assert parameter_counts(g) == spec.parameter_counts()
    assert parameter_counts(g)[2] == 2 * (units + hidden)  # BatchNorm moving mean and variance
    kinds = [keras_kind(layer) for layer in g.layers]
    assert kinds[-1].endswith("Transpose") and g.layers[-1].activation.__name__ == "tanh"
    assert kinds.count("BatchNormalization") == 1 + len(blocks) - 1  # none after the output layer
    y = keras.ops.convert_to_numpy(g(tf.random.normal((2, 10)) * 100.0))
    assert y.shape == (2, *out) and np.abs(y).max() <= 1.0


def test_discriminator_rules():
    spec = DiscriminatorSpec((8, 12, 12, 3), (DownBlock(8, (1, 2, 2)), DownBlock(16, 2), DownBlock(16, 2)),
                             kernel_size=3, dropout=0.1)
    assert spec.feature_shape == (2, 2, 2, 16)  # ceil(12 / 2) = 6 → 3 → 2
    d = conv_discriminator(spec)
    kinds = [keras_kind(layer) for layer in d.layers]
    assert kinds[:3] == ["Conv3D", "LeakyReLU", "Dropout"] and kinds.count("BatchNormalization") == 2
    assert d(tf.zeros((5, 8, 12, 12, 3))).shape == (5, 1)
    critic = conv_discriminator(spec, batchnorm=False)
    assert "BatchNormalization" not in [keras_kind(layer) for layer in critic.layers]
    assert "LayerNormalization" in [keras_kind(layer) for layer in critic.layers]
    plain = conv_discriminator(spec, batchnorm=False, norm=None)
    assert {keras_kind(layer) for layer in plain.layers} == {"Conv3D", "LeakyReLU", "Dropout", "Flatten", "Dense"}
    with pytest.raises(ValueError, match="norm must be"):
        conv_discriminator(spec, norm="group")


def test_spec_errors():
    with pytest.raises(ValueError, match="must equal out_channels"):
        GeneratorSpec(10, (2, 2, 4), (UpBlock(4, 2),))
    with pytest.raises(ValueError, match="2 ints"):
        GeneratorSpec(10, (2, 2, 4), (UpBlock(3, (2, 2, 2)),))
    with pytest.raises(ValueError, match="head must be"):
        DiscriminatorSpec((8, 8, 3), (DownBlock(4),), head="max")


def test_seed_sized_generator_is_counted_without_building_it():
    spec = GeneratorSpec(100, (10, 20, 45, 256), (UpBlock(128, 1), UpBlock(64, 2), UpBlock(3, 2)))
    assert spec.parameter_counts() == (244_760_768, 240_152_384, 4_608_384)
    assert sum(row[3] for row in spec.layer_table()) == 244_760_768


def test_one_dcgan_step_trains_both_networks():
    keras.utils.set_random_seed(0)
    g = conv_generator(GeneratorSpec(8, (2, 2, 8), (UpBlock(4, 2), UpBlock(3, 2)), kernel_size=3))
    d = conv_discriminator(DiscriminatorSpec((8, 8, 3), (DownBlock(4), DownBlock(8)), kernel_size=3))
    gan = build_gan("gan", g, d, latent_dim=8, seed=0)
    before = [w.numpy().copy() for w in g.trainable_weights + d.trainable_weights]
    images = np.random.default_rng(0).integers(0, 256, (32, 8, 8, 3), dtype=np.uint8)
    history = train(gan, tf.data.Dataset.from_tensor_slices(images), 2, 8,
                        verbose=0)
    after = [w.numpy() for w in g.trainable_weights + d.trainable_weights]
    assert all(not np.allclose(a, b) for a, b in zip(before, after))
    assert np.isfinite(history.history["d_loss"][-1]) and np.isfinite(history.history["g_loss"][-1])
