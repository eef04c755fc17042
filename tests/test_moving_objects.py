"""The moving-objects renderer and its tf.data pipeline: determinism, shapes, labels against pixels, cache."""

import numpy as np
import pytest
import tensorflow as tf

from thesis_gan.data.moving_objects import (BACKGROUND_RANGE, DIRECTION_VECTORS, KINDS, MovingObjects, clip_seed, draw_boxes, moving_objects_dataset, render_clip)

SEED_SHAPES = [(40, 80, 180), (60, 36, 48), (120, 96, 128)]
QUICK_SHAPES = [(8, 16, 16), (16, 32, 32), (1, 5, 7)]


def test_same_seed_same_clip_different_seed_different():
    a, la = render_clip((8, 16, 16), 5, n_objects=2, noise=6.0, jitter=2)
    b, lb = render_clip((8, 16, 16), 5, n_objects=2, noise=6.0, jitter=2)
    c, _ = render_clip((8, 16, 16), 6, n_objects=2, noise=6.0, jitter=2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert all(np.array_equal(la[k], lb[k]) for k in la)
    g1, g2 = np.random.default_rng(1), np.random.default_rng(1)
    assert np.array_equal(render_clip((4, 8, 8), g1)[0], render_clip((4, 8, 8), g2)[0])


@pytest.mark.parametrize("shape", SEED_SHAPES + QUICK_SHAPES)
def test_shapes_and_dtypes(shape):
    clip, lab = render_clip(shape, 0, n_objects=(1, 3), jitter=1, noise=2.0)
    t, h, w = shape
    n = len(lab["kind"])
    assert clip.shape == (t, h, w, 3) and clip.dtype == np.uint8
    assert 1 <= n <= 3
    assert lab["boxes"].shape == (t, n, 4) and lab["boxes"].dtype == np.int32
    assert lab["masks"].shape == (t, n, h, w) and lab["masks"].dtype == bool
    assert lab["centers"].shape == lab["velocity"].shape == (t, n, 2)
    assert lab["shift"].shape == (t, 2) and np.abs(lab["shift"]).max() <= 1
    assert set(lab["kind"]) <= {0, 1, 2} and set(lab["direction"]) <= set(range(8)) and set(lab["speed"]) <= {0, 1, 2}


def test_large_seed_shape_renders():
    clip, lab = render_clip((40, 360, 480), 0)
    assert clip.shape == (40, 360, 480, 3) and lab["masks"][:, 0].any(axis=(1, 2)).all()


@pytest.mark.parametrize("kind", KINDS)
def test_labels_match_pixels(kind):
    clip, lab = render_clip((30, 36, 48), 11, kinds=(kind,), n_objects=3)
    masks = lab["masks"]
    assert (lab["kind"] == KINDS.index(kind)).all()
    # the top object's pixels have its colour; no pixel outside every mask looks like an object
    assert (clip[masks[:, -1]] == lab["color"][-1]).all()
    background = clip[~masks.any(axis=1)]
    assert background.max() <= BACKGROUND_RANGE[1] and background.min() >= BACKGROUND_RANGE[0]
    assert (lab["color"].max(axis=1) >= 200).all()  # so every object pixel differs from the background
    # the box is tight around the mask
    for t in range(30):
        for k in range(3):
            ys, xs = np.nonzero(masks[t, k])
            assert tuple(lab["boxes"][t, k]) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    # the mask sits around the labelled centre
    ys, xs = np.nonzero(masks[0, 0])
    assert abs(xs.mean() + 0.5 - lab["centers"][0, 0, 0]) < 1.5 and abs(ys.mean() + 0.5 - lab["centers"][0, 0, 1]) < 1.5


def test_centre_moves_by_speed_times_direction():
    speeds = (0.015, 0.04, 0.08)
    for seed in range(6):
        _, lab = render_clip((40, 64, 64), seed, n_objects=2, speeds=speeds)
        expected = DIRECTION_VECTORS[lab["direction"]] * np.take(speeds, lab["speed"])[:, None] * 64
        assert np.allclose(lab["velocity"][0], expected, atol=1e-4)
        # a bounce only flips signs: the speed never changes
        assert np.allclose(np.abs(lab["velocity"]), np.abs(expected)[None], atol=1e-4)
        step = np.diff(lab["centers"], axis=0)
        no_bounce = (np.sign(lab["velocity"][1:]) == np.sign(lab["velocity"][:-1])).all(-1)
        assert no_bounce.mean() > 0.5
        assert np.allclose(step[no_bounce], lab["velocity"][:-1][no_bounce], atol=1e-3)
    # a fast object in a small frame bounces and stays inside
    _, lab = render_clip((60, 24, 24), 3, speed_classes=(2,), jitter=0)
    assert (np.sign(lab["velocity"][1:]) != np.sign(lab["velocity"][:-1])).any()
    assert lab["masks"].any(axis=(2, 3)).all()


def test_jitter_shifts_whole_frame():
    still, ls = render_clip((10, 32, 32), 4, n_objects=1, jitter=0, textured_background=True)
    shaky, lj = render_clip((10, 32, 32), 4, n_objects=1, jitter=3)
    shift = lj["shift"]
    assert (shift != 0).any()
    # the objects come from their own random stream: same scene, seen through a shaking camera
    assert np.allclose(lj["centers"] - shift[:, None, :], ls["centers"], atol=1e-4)
    # the boxes move with the camera: centre minus shift follows the straight-line motion
    c = lj["centers"][:, 0] - shift
    step = np.diff(c, axis=0)
    v = lj["velocity"][:-1, 0]
    ok = (np.sign(lj["velocity"][1:, 0]) == np.sign(v)).all(-1)
    assert np.allclose(step[ok], v[ok], atol=1e-3)


def test_noise_changes_pixels_not_objects():
    a, la = render_clip((8, 16, 16), 2, noise=0.0)
    b, lb = render_clip((8, 16, 16), 2, noise=10.0)
    assert np.array_equal(la["masks"], lb["masks"])
    diff = b.astype(float) - a.astype(float)
    assert 6 < diff.std() < 12


def test_bad_options():
    with pytest.raises(ValueError, match="kinds"):
        render_clip((4, 8, 8), 0, kinds=("hexagon",))
    with pytest.raises(ValueError, match="unknown moving-objects options"):
        moving_objects_dataset((4, 8, 8), colour="red")
    with pytest.raises(ValueError, match="n_clips"):
        moving_objects_dataset((4, 8, 8), cache_dir="/tmp/never_written")


def test_pipeline_shapes_and_streaming():
    ds = moving_objects_dataset((60, 36, 48), seed=1, n_clips=10**15, num_parallel_calls=2)
    assert ds.element_spec == tf.TensorSpec((60, 36, 48, 3), tf.uint8)
    batch = next(iter(ds.batch(4)))
    assert batch.shape == (4, 60, 36, 48, 3) and batch.dtype == tf.uint8
    assert np.array_equal(batch[2].numpy(), MovingObjects().clip((60, 36, 48), 1, 2)[0])
    endless = moving_objects_dataset((8, 16, 16))
    assert endless.cardinality() == tf.data.INFINITE_CARDINALITY
    assert len({c.numpy().tobytes() for c in endless.take(20)}) == 20


def test_pipeline_labels_padded():
    ds = moving_objects_dataset((8, 16, 16), seed=0, labels=True, n_objects=(1, 3))
    for clip, lab in ds.take(8):
        n = int(lab["present"].numpy().sum())
        assert 1 <= n <= 3 and lab["masks"].shape == (8, 3, 16, 16)
        assert (lab["kind"].numpy()[n:] == -1).all() and not lab["masks"].numpy()[:, n:].any()
        boxed = draw_boxes(clip.numpy(), lab["boxes"].numpy(), lab["color"].numpy(), lab["present"].numpy())
        assert boxed.shape == clip.shape


def test_clip_seed_is_a_hash_of_seed_and_index():
    a = np.random.default_rng(clip_seed(0, 1)).integers(1 << 30)
    b = np.random.default_rng(clip_seed(1, 0)).integers(1 << 30)
    assert a != b


def test_shard_cache_round_trips(tmp_path):
    kw = dict(seed=2, n_clips=7, clips_per_shard=3, labels=True, n_objects=(1, 2))
    def clips(**extra):
        return [(c.numpy(), lab["boxes"].numpy()) for c, lab in moving_objects_dataset((6, 12, 12), **kw, **extra)]

    fresh = clips()
    first = clips(cache_dir=tmp_path)
    (folder,) = list(tmp_path.iterdir())
    shards = sorted(p.name for p in folder.glob("*.npz"))
    assert shards == ["shard_00000.npz", "shard_00001.npz", "shard_00002.npz"]
    mtimes = {p: p.stat().st_mtime_ns for p in folder.glob("*.npz")}
    again = clips(cache_dir=tmp_path)
    assert {p: p.stat().st_mtime_ns for p in folder.glob("*.npz")} == mtimes  # read, not rewritten
    assert len(fresh) == len(first) == len(again) == 7
    for (c0, b0), (c1, b1), (c2, b2) in zip(fresh, first, again):
        assert np.array_equal(c0, c1) and np.array_equal(c1, c2) and np.array_equal(b0, b2)
    # the cache is read from disk: a doctored shard shows up
    with np.load(folder / "shard_00000.npz") as z:
        arrays = dict(z)
    arrays["clips"][0] = 0
    np.savez(folder / "shard_00000.npz", **arrays)
    doctored = next(iter(moving_objects_dataset((6, 12, 12), cache_dir=tmp_path, **kw)))[0].numpy()
    assert not doctored.any()
    # another configuration gets its own folder
    list(moving_objects_dataset((6, 12, 12), cache_dir=tmp_path, **{**kw, "seed": 3}))
    assert len(list(tmp_path.iterdir())) == 2
