"""The PacGAN mode metrics on samples with a known answer."""
import numpy as np
import pytest

from thesis_gan.data.mixtures import get_mixture, grid_of_gaussians, ring_of_gaussians
from thesis_gan.eval.mode_metrics import mode_metrics


def test_geometry_of_the_protocol():
    ring, grid = ring_of_gaussians(), grid_of_gaussians()
    assert ring.std == 0.01 and grid.std == 0.05
    assert np.allclose(np.linalg.norm(ring.means, axis=1), 1.0)
    assert sorted(set(grid.means.ravel())) == [-4, -2, 0, 2, 4]


@pytest.mark.parametrize("name,k", [("ring", 8), ("grid", 25)])
def test_true_samples_capture_every_mode(name, k):
    mix = get_mixture(name)
    m = mode_metrics(mix.sample(2500, seed=1), mix)
    assert m["modes"] == k
    assert m["high_quality"] == pytest.approx(1 - np.exp(-4.5), abs=0.01)  # P(‖N(0, I₂)‖ ≤ 3)
    assert m["reverse_kl"] < 0.02


def test_samples_from_exactly_five_modes():
    ring = ring_of_gaussians()
    rng = np.random.default_rng(0)
    x = ring.means[rng.integers(0, 5, 2500)] + rng.normal(0, 0.001, (2500, 2))
    m = mode_metrics(x, ring)
    assert m["modes"] == 5 and m["high_quality"] == 1.0
    q = np.bincount(np.linalg.norm(x[:, None] - ring.means[None], axis=-1).argmin(1), minlength=8)[:5] / 2500
    assert m["reverse_kl"] == pytest.approx(np.sum(q * np.log(8 * q)))


def test_far_points_are_not_high_quality():
    m = mode_metrics(np.full((100, 2), 7.0), ring_of_gaussians())
    assert m["modes"] == 0 and m["high_quality"] == 0.0 and np.isnan(m["reverse_kl"])


def test_collapse_to_one_mode_has_reverse_kl_log_k():
    grid = grid_of_gaussians()
    m = mode_metrics(np.repeat(grid.means[[7]], 300, axis=0), grid)
    assert m["modes"] == 1 and m["reverse_kl"] == pytest.approx(np.log(25))


def test_bad_shape_and_unknown_dataset_are_explained():
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        mode_metrics(np.zeros((10, 3)), ring_of_gaussians())
    with pytest.raises(ValueError, match="ring"):
        get_mixture("spiral")
