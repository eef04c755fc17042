"""The ten seed experiments: every generator equals the seed's Keras summary, layer by layer.

The expected tables below are copied from the seed thesis README (its "Experimente und Messungen" table; the
"Diskriminator" column there repeats the generator and is not used). Rows 1-5 share one generator.
Generators are described in closed form (`GeneratorSpec.layer_table`), so experiment 1's 245 million parameters cost no memory.
"""
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from thesis_gan.models.dcgan import GeneratorSpec, UpBlock, conv_discriminator, conv_generator
from thesis_gan.models.summary import keras_kind, layer_table, parameter_counts
from thesis_gan.experiments import EXPERIMENTS, experiment_table, format_experiments, get_experiment
from thesis_gan.models.video import scale_generator, video_gan_specs

# (experiments, (total, trainable, non-trainable), [(layer name, output shape without batch, params), ...])
SEED_GENERATORS = [
    # experiments 1, 2, 3, 4, 5
    ((1, 2, 3, 4, 5), (244_760_768, 240_152_384, 4_608_384), [
        ('dense', (2304000,), 230_400_000),
        ('batch_normalization', (2304000,), 9_216_000),
        ('leaky_re_lu', (2304000,), 0),
        ('reshape', (10, 20, 45, 256), 0),
        ('conv3d_transpose', (10, 20, 45, 128), 4_096_000),
        ('batch_normalization_1', (10, 20, 45, 128), 512),
        ('leaky_re_lu_1', (10, 20, 45, 128), 0),
        ('conv3d_transpose_1', (20, 40, 90, 64), 1_024_000),
        ('batch_normalization_2', (20, 40, 90, 64), 256),
        ('leaky_re_lu_2', (20, 40, 90, 64), 0),
        ('conv3d_transpose_2', (40, 80, 180, 3), 24_000),
    ]),
    # experiments 6
    ((6,), (1_950_448, 1_947_824, 2_624), [
        ('dense', (1152,), 115_200),
        ('batch_normalization', (1152,), 4_608),
        ('leaky_re_lu', (1152,), 0),
        ('reshape', (1, 3, 4, 96), 0),
        ('conv3d_transpose', (5, 15, 20, 96), 1_152_000),
        ('batch_normalization_1', (5, 15, 20, 96), 384),
        ('leaky_re_lu_1', (5, 15, 20, 96), 0),
        ('conv3d_transpose_1', (10, 45, 60, 48), 576_000),
        ('batch_normalization_2', (10, 45, 60, 48), 192),
        ('leaky_re_lu_2', (10, 45, 60, 48), 0),
        ('conv3d_transpose_2', (20, 180, 240, 16), 96_000),
        ('batch_normalization_3', (20, 180, 240, 16), 64),
        ('leaky_re_lu_3', (20, 180, 240, 16), 0),
        ('conv3d_transpose_3', (40, 360, 480, 3), 6_000),
    ]),
    # experiments 7
    ((7,), (2_225_808, 2_216_304, 9_504), [
        ('dense', (4608,), 460_800),
        ('batch_normalization', (4608,), 18_432),
        ('leaky_re_lu', (4608,), 0),
        ('reshape', (1, 6, 8, 96), 0),
        ('conv3d_transpose', (5, 30, 40, 96), 1_152_000),
        ('batch_normalization_1', (5, 30, 40, 96), 384),
        ('leaky_re_lu_1', (5, 30, 40, 96), 0),
        ('conv3d_transpose_1', (15, 90, 120, 48), 576_000),
        ('batch_normalization_2', (15, 90, 120, 48), 192),
        ('leaky_re_lu_2', (15, 90, 120, 48), 0),
        ('conv3d_transpose_2', (60, 360, 480, 3), 18_000),
    ]),
    # experiments 8
    ((8,), (23_724_416, 23_662_208, 62_208), [
        ('dense', (30720,), 3_072_000),
        ('batch_normalization', (30720,), 122_880),
        ('leaky_re_lu', (30720,), 0),
        ('reshape', (5, 3, 4, 512), 0),
        ('conv3d_transpose', (10, 6, 8, 256), 16_384_000),
        ('batch_normalization_1', (10, 6, 8, 256), 1_024),
        ('leaky_re_lu_1', (10, 6, 8, 256), 0),
        ('conv3d_transpose_1', (20, 12, 16, 128), 4_096_000),
        ('batch_normalization_2', (20, 12, 16, 128), 512),
        ('leaky_re_lu_2', (20, 12, 16, 128), 0),
        ('conv3d_transpose_2', (60, 36, 48, 3), 48_000),
    ]),
    # experiments 9
    ((9,), (15_983_488, 15_951_744, 31_744), [
        ('dense', (15360,), 1_536_000),
        ('batch_normalization', (15360,), 61_440),
        ('leaky_re_lu', (15360,), 0),
        ('reshape', (5, 3, 4, 256), 0),
        ('conv3d_transpose', (5, 3, 4, 256), 8_192_000),
        ('batch_normalization_1', (5, 3, 4, 256), 1_024),
        ('leaky_re_lu_1', (5, 3, 4, 256), 0),
        ('conv3d_transpose_1', (10, 6, 8, 128), 4_096_000),
        ('batch_normalization_2', (10, 6, 8, 128), 512),
        ('leaky_re_lu_2', (10, 6, 8, 128), 0),
        ('conv3d_transpose_2', (20, 12, 16, 128), 2_048_000),
        ('batch_normalization_3', (20, 12, 16, 128), 512),
        ('leaky_re_lu_3', (20, 12, 16, 128), 0),
        ('conv3d_transpose_3', (60, 36, 48, 3), 48_000),
    ]),
    # experiments 10
    ((10,), (81_821_888, 80_346_944, 1_474_944), [
        ('dense', (737280,), 73_728_000),
        ('batch_normalization', (737280,), 2_949_120),
        ('leaky_re_lu', (737280,), 0),
        ('reshape', (15, 12, 16, 256), 0),
        ('conv3d_transpose', (30, 24, 32, 128), 4_096_000),
        ('batch_normalization_1', (30, 24, 32, 128), 512),
        ('leaky_re_lu_1', (30, 24, 32, 128), 0),
        ('conv3d_transpose_1', (60, 48, 64, 64), 1_024_000),
        ('batch_normalization_2', (60, 48, 64, 64), 256),
        ('leaky_re_lu_2', (60, 48, 64, 64), 0),
        ('conv3d_transpose_2', (120, 96, 128, 3), 24_000),
    ]),
]
SEED_ROWS = {
    1: ('2021-05-01-164113', 9870, (40, 80, 180, 3)),
    2: ('2021-05-02-135730', 9870, (40, 80, 180, 3)),
    3: ('2021-05-03-172829', 2000, (40, 80, 180, 3)),
    4: ('2021-05-04-023451', 4950, (40, 80, 180, 3)),
    5: ('2021-05-04-064157', 5000, (40, 80, 180, 3)),
    6: ('2021-05-06-024533', 3000, (40, 360, 480, 3)),
    7: ('2021-05-07-135545', 3000, (60, 360, 480, 3)),
    8: ('2021-05-08-142259', 3000, (60, 36, 48, 3)),
    9: ('2021-05-08-154506', 3000, (60, 36, 48, 3)),
    10: ('2021-05-08-191517', 3000, (120, 96, 128, 3)),
}

SEED_BY_NUMBER = {n: (totals, layers) for numbers, totals, layers in SEED_GENERATORS for n in numbers}


def test_registry_rows_match_the_seed():
    assert sorted(SEED_BY_NUMBER) == list(range(1, 11))
    assert [e.number for e in EXPERIMENTS] == list(range(1, 11))
    for e in EXPERIMENTS:
        assert (e.dataset, e.epochs, e.output_shape) == SEED_ROWS[e.number]
        assert e.latent_dim == 100 and e.generator.kernel_size == 5


@pytest.mark.parametrize("number", range(1, 11))
def test_generator_equals_the_seed_summary(number):
    totals, layers = SEED_BY_NUMBER[number]
    experiment = get_experiment(number)
    got = [(name, shape, params) for name, _, shape, params in experiment.generator.layer_table()]
    assert got == layers
    assert experiment.generator.parameter_counts() == totals
    assert experiment.generator.output_shape == SEED_ROWS[number][2]


@pytest.mark.parametrize("number", range(1, 11))
def test_closed_form_layer_table_equals_a_real_build(number):
    spec = get_experiment(number).quick_version().generator
    real = conv_generator(spec)
    assert spec.layer_table() == layer_table(real)
    assert spec.parameter_counts() == parameter_counts(real)


@pytest.mark.parametrize("number", range(1, 11))
def test_discriminator_maps_the_output_shape_to_one_score(number):
    experiment = get_experiment(number)
    spec = experiment.discriminator
    assert spec.input_shape == experiment.output_shape
    assert max(spec.feature_shape[:3]) <= 4 and spec.feature_shape[3] == 256
    d = conv_discriminator(spec)
    critic = conv_discriminator(spec, batchnorm=False)
    assert d.output_shape == (None, 1)
    assert d.compute_output_shape((8, *experiment.output_shape)) == (8, 1)
    kinds = [keras_kind(layer) for layer in d.layers]
    assert kinds[:2] == ["Conv3D", "LeakyReLU"]  # no BatchNorm at the input (DCGAN rule)
    assert kinds.count("BatchNormalization") == len(spec.blocks) - 1
    assert "BatchNormalization" not in [keras_kind(layer) for layer in critic.layers]
    assert 1_000_000 < parameter_counts(d)[0] < 10_000_000  # moderate, whatever the clip size


def _unique_quick_versions():
    seen, out = set(), []
    for e in EXPERIMENTS:
        q = e.quick_version()
        if (q.generator, q.discriminator) not in seen:
            seen.add((q.generator, q.discriminator))
            out.append(q)
    return out


@pytest.mark.parametrize("quick", _unique_quick_versions(), ids=lambda q: f"experiment{q.number}")
def test_quick_versions_run_end_to_end(quick):
    seed_scale = get_experiment(quick.number)
    factor = quick.quick_factor
    assert quick.output_shape == tuple(n // f for n, f in zip(seed_scale.output_shape[:3], factor)) + (3,)
    assert len(quick.generator.blocks) == len(seed_scale.generator.blocks)
    assert "scaled" in quick.note
    g, d = quick.build()
    clips = g(tf.random.normal((2, 100)), training=False)
    assert clips.shape == (2, *quick.output_shape)
    assert np.abs(keras.ops.convert_to_numpy(clips)).max() <= 1.0
    assert d(clips).shape == (2, 1)
    assert g.count_params() < 1_000_000


@pytest.mark.parametrize("shape", [(8, 16, 16), (12, 24, 32), (8, 18, 24), (40, 80, 180), (60, 36, 48),
                                   (120, 96, 128), (60, 360, 480), (7, 13, 11)])
def test_video_gan_specs_fit_any_shape(shape):
    g_spec, d_spec = video_gan_specs(shape, width=8)
    assert g_spec.output_shape == (*shape, 3) and d_spec.input_shape == (*shape, 3)
    assert len(g_spec.blocks) == 3 and g_spec.latent_dim == 100
    d = conv_discriminator(d_spec)
    assert g_spec.layer_table()[-1][2] == (*shape, 3) and d.output_shape == (None, 1)
    if math.prod(shape) <= 60_000:  # small enough to build: the closed form equals Keras
        assert parameter_counts(conv_generator(g_spec)) == g_spec.parameter_counts()


def test_video_gan_specs_forward_pass():
    g_spec, d_spec = video_gan_specs((4, 12, 16), width=4, latent_dim=16)
    g, d = conv_generator(g_spec), conv_discriminator(d_spec)
    assert d(g(tf.random.normal((3, 16)))).shape == (3, 1)


def test_errors_say_what_was_expected():
    with pytest.raises(ValueError, match="no experiment 0.*1, 2, 3"):
        get_experiment(0)
    with pytest.raises(ValueError, match="shape must be"):
        video_gan_specs((8, 16))
    with pytest.raises(ValueError, match="prime 7"):
        scale_generator(get_experiment(1).generator, 7)
    with pytest.raises(ValueError, match="generator outputs"):
        type(EXPERIMENTS[0])(1, "x", 1, (8, 8, 8, 3), GeneratorSpec(100, (2, 2, 2, 4), (UpBlock(3, 2),)),
                             EXPERIMENTS[0].discriminator)


def test_format_experiments_lists_exact_totals():
    text = format_experiments()
    lines = text.splitlines()
    assert len(lines) == 12
    for e, line in zip(EXPERIMENTS, lines[2:]):
        total = SEED_BY_NUMBER[e.number][0][0]
        assert line.split()[:3] == [str(e.number), e.dataset, str(e.epochs)]
        assert f"{total:,}" in line and str(e.output_shape) in line


def test_experiment_table_has_ten_rows_and_the_results():
    table = experiment_table({6: ("evaluation/6/results.gif", "quick")})
    rows = [line for line in table.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(rows) == 10
    assert "![experiment 6](evaluation/6/results.gif)" in rows[5]
    assert "244,760,768 params" in rows[0] and "(None, 10, 20, 45, 256)" in rows[0]
