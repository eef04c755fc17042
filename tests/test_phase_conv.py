"""Phase-decomposed strided and transposed convolutions against Keras's own layers: outputs and gradients."""
import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from thesis_gan.ops.conv3d import conv3d_layers
from thesis_gan.ops.phase_conv import (PhaseConv2D, PhaseConv2DTranspose, PhaseConv3D, PhaseConv3DTranspose,
                                       phase_conv, phase_conv_transpose)

KERAS = {PhaseConv2DTranspose: keras.layers.Conv2DTranspose, PhaseConv3DTranspose: keras.layers.Conv3DTranspose,
         PhaseConv2D: keras.layers.Conv2D, PhaseConv3D: keras.layers.Conv3D}


def gradients(layer, x, upstream):
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(layer(x) * upstream)
    return tape.gradient(loss, [x, layer.kernel])


def gradient_by_forward(layer, x, upstream):
    """d sum(layer(x) * upstream) / dx for one sample and a bias-free (linear) layer: its forward pass on unit inputs."""
    units = tf.constant(np.eye(x.shape.num_elements(), dtype=np.float32).reshape(-1, *x.shape[1:]))
    return tf.reduce_sum(layer(units) * upstream, axis=list(range(1, len(upstream.shape)))).numpy().reshape(x.shape)


def assert_same_as_keras(ours_cls, x, *args, **kwargs):
    """Build Keras's layer, copy its weights (random bias too) into ours, compare outputs and gradients.

    Returns False (and compares nothing) where Keras's layer itself refuses the arguments, True otherwise.
    """
    rng = np.random.default_rng(0)
    theirs = KERAS[ours_cls](*args, **kwargs)
    try:
        expected = theirs(x)
    except Exception as e:  # a combination Keras itself refuses (e.g. an output_padding TensorFlow cannot realise)
        return False
    theirs.set_weights([rng.normal(size=w.shape).astype("float32") for w in theirs.get_weights()])
    expected = theirs(x)
    ours = ours_cls.from_config(theirs.get_config())
    ours.build(x.shape)
    ours.set_weights(theirs.get_weights())
    assert ours.get_config() == theirs.get_config()
    assert [w.shape for w in ours.weights] == [w.shape for w in theirs.weights]
    got = ours(x)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)
    upstream = tf.constant(rng.normal(size=expected.shape), tf.float32)
    ours_dx, ours_dk = gradients(ours, x, upstream)
    theirs_dx, theirs_dk = gradients(theirs, x, upstream)
    np.testing.assert_allclose(ours_dk, theirs_dk, atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(ours_dx, theirs_dx, atol=1e-4, rtol=1e-4)
    return True


GRID = [(k, s, padding) for k, s, padding in itertools.product(range(1, 6), range(1, 4), ("same", "valid"))
        if not (k == 1 and s == 3)]  # TensorFlow's own 3-D gradient is wrong there: see the test below


@pytest.mark.parametrize("k,s,padding", GRID)
def test_transposed_conv_2d_equals_keras(k, s, padding):
    x = tf.constant(np.random.default_rng(k * 10 + s).normal(size=(2, 3, 4, 2)), tf.float32)
    compared = [assert_same_as_keras(PhaseConv2DTranspose, x, 3, k, strides=s, padding=padding,
                                     output_padding=output_padding, use_bias=output_padding != 0)
                for output_padding in [None, *range(s)]]
    assert compared[0] and sum(compared) >= s  # Keras refuses at most `same` with an even kernel and no padding


@pytest.mark.parametrize("k,s,padding", GRID)
def test_transposed_conv_3d_equals_keras(k, s, padding):
    x = tf.constant(np.random.default_rng(k * 10 + s).normal(size=(2, 2, 3, 4, 3)), tf.float32)
    for output_padding in [None, s - 1]:
        assert assert_same_as_keras(PhaseConv3DTranspose, x, 2, k, strides=s, padding=padding,
                                    output_padding=output_padding, use_bias=output_padding is None) or \
            (padding == "same" and k % 2 == 0 and output_padding == 0)


@pytest.mark.parametrize("channels,filters,kernel,strides,padding,output_padding", [
    (1, 4, (1, 3, 5), (1, 2, 3), "same", None),
    (4, 1, (2, 3, 5), (3, 2, 1), "valid", (1, 1, 0)),
    (3, 2, (5, 4, 3), (2, 3, 2), "same", (1, 2, 1)),
    (2, 3, (4, 5, 2), (2, 2, 3), "valid", None),
])
def test_transposed_conv_3d_unequal_axes_equals_keras(channels, filters, kernel, strides, padding, output_padding):
    x = tf.constant(np.random.default_rng(channels).normal(size=(3, 2, 3, 2, channels)), tf.float32)
    assert assert_same_as_keras(PhaseConv3DTranspose, x, filters, kernel, strides=strides, padding=padding,
                                output_padding=output_padding)


@pytest.mark.parametrize("k,s,padding", GRID)
def test_strided_conv_equals_keras(k, s, padding):
    rng = np.random.default_rng(k * 10 + s)
    assert assert_same_as_keras(PhaseConv2D, tf.constant(rng.normal(size=(2, 7, 5, 3)), tf.float32), 2, k, s, padding)
    assert assert_same_as_keras(PhaseConv3D, tf.constant(rng.normal(size=(2, 5, 6, 7, 2)), tf.float32), 3, k, s,
                                padding, use_bias=False)


def test_strided_conv_3d_unequal_axes_equals_keras():
    x = tf.constant(np.random.default_rng(1).normal(size=(2, 6, 9, 12, 4)), tf.float32)
    assert assert_same_as_keras(PhaseConv3D, x, 1, (1, 3, 5), (2, 3, 1), "same")
    assert assert_same_as_keras(PhaseConv3D, x, 3, (3, 2, 4), (1, 2, 3), "valid")


def reference_conv(x, kernel, strides):
    """Keras's `same` strided convolution by its definition, in numpy (bias-free, small inputs only)."""
    spatial, k = x.shape[1:-1], kernel.shape[:-2]
    out = [-(-n // s) for n, s in zip(spatial, strides)]
    before = [max((o - 1) * s + kk - n, 0) // 2 for o, s, kk, n in zip(out, strides, k, spatial)]
    padded = np.pad(x, [(0, 0)] + [(b, kk + o * s) for b, kk, o, s in zip(before, k, out, strides)] + [(0, 0)])
    y = np.zeros((x.shape[0], *out, kernel.shape[-1]), np.float32)
    for index in np.ndindex(*out):
        window = padded[(slice(None),) + tuple(slice(i * s, i * s + kk) for i, s, kk in zip(index, strides, k))]
        y[(slice(None),) + index] = np.tensordot(window, kernel, axes=(range(1, window.ndim), range(kernel.ndim - 1)))
    return y


def test_stride_above_kernel_matches_the_definition():
    """Kernel 1, stride 3 in 3-D: TensorFlow's CPU kernel of the strided Conv3D is wrong (its forward pass and so the
    transposed convolution's gradient); the phase layers agree with the definition."""
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(1, 2, 4, 3, 2)), tf.float32)
    conv = PhaseConv3D(2, 1, strides=3, padding="same", use_bias=False)
    y = conv(x)
    kernel = conv.kernel.numpy()
    np.testing.assert_allclose(y, reference_conv(x.numpy(), kernel, (3, 3, 3)), atol=1e-5)
    assert not np.allclose(keras.ops.conv(x, kernel, 3, "same"), y, atol=1e-3)  # TensorFlow's, for the record
    upstream = tf.constant(rng.normal(size=y.shape), tf.float32)
    units = np.eye(x.shape.num_elements(), dtype=np.float32).reshape(-1, *x.shape[1:])
    by_definition = np.sum(reference_conv(units, kernel, (3, 3, 3)) * upstream.numpy(), axis=(1, 2, 3, 4))
    np.testing.assert_allclose(gradients(conv, x, upstream)[0], by_definition.reshape(x.shape), atol=1e-4)
    for padding in ("same", "valid"):  # the transposed convolution: Keras's forward pass is right, its gradient not
        theirs = keras.layers.Conv3DTranspose(2, 1, strides=3, padding=padding, use_bias=False)
        upstream = tf.constant(rng.normal(size=theirs(x).shape), tf.float32)
        ours = PhaseConv3DTranspose.from_config(theirs.get_config())
        ours.build(x.shape)
        ours.set_weights(theirs.get_weights())
        np.testing.assert_allclose(ours(x), theirs(x), atol=1e-5)
        np.testing.assert_allclose(gradients(ours, x, upstream)[0], gradient_by_forward(theirs, x, upstream), atol=1e-4)


def test_models_with_phase_layers_save_and_load(tmp_path):
    model = keras.Sequential([keras.Input((2, 3, 3, 2)), PhaseConv3DTranspose(4, 3, strides=2, padding="same"),
                              PhaseConv3D(2, 3, strides=2, padding="same")])
    x = tf.random.normal((2, 2, 3, 3, 2))
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert [type(l) for l in loaded.layers] == [PhaseConv3DTranspose, PhaseConv3D]
    np.testing.assert_array_equal(loaded(x), model(x))


def test_bad_geometry_is_a_one_line_error():
    with pytest.raises(ValueError, match="cannot have output length 4: expected an output_padding that gives 3 "
                                         "windows, got 2"):
        phase_conv_transpose(tf.zeros((1, 3, 3)), tf.zeros((4, 2, 3)), (2,), "same", (0,))
    with pytest.raises(ValueError, match="expected length >= 5, got 3"):
        phase_conv(tf.zeros((1, 3, 3)), tf.zeros((5, 3, 2)), (1,), "valid")


def test_conv3d_layers_names_and_default():
    assert conv3d_layers(False) == conv3d_layers("keras") == (keras.layers.Conv3D, keras.layers.Conv3DTranspose)
    assert conv3d_layers(True) == conv3d_layers("phase") == (PhaseConv3D, PhaseConv3DTranspose)
    assert conv3d_layers(None) == conv3d_layers(not tf.config.list_physical_devices("GPU"))
    with pytest.raises(ValueError, match=r"fast must be True, False, None or one of \['keras', 'measure', 'phase', 'zero-insert'\], got 'x'"):
        conv3d_layers("x")
