"""The 2-D benchmark's bookkeeping: rows, aggregation over seeds, tables, and the side-by-side speed measurement."""
import math

import numpy as np
import pytest

from thesis_gan.objectives.registry import VARIANTS

from thesis_gan.eval.protocol_2d import (PUBLISHED, comparison_table, markdown_table, measure_step_rate, run_benchmark, summarize)


def row(variant, data, seed, modes, hq, rkl):
    return {"variant": variant, "data": data, "seed": seed, "modes": modes, "high_quality": hq, "reverse_kl": rkl,
            "steps": 10, "seconds": 1.0, "steps_per_second": 10.0}


def test_summarize_gives_mean_and_standard_error_per_variant_and_dataset():
    rows = [row("gan", "ring", 0, 6, 0.5, 0.2), row("gan", "ring", 1, 8, 0.7, 0.4), row("gan", "ring", 2, 7, 0.6, math.nan),
            row("wgan", "grid", 0, 20, 0.1, 0.3)]
    summary = summarize(rows)
    gan, wgan = summary
    assert (gan["variant"], gan["data"], gan["seeds"]) == ("gan", "ring", 3)
    assert gan["modes"] == pytest.approx(7.0) and gan["modes_se"] == pytest.approx(1.0 / math.sqrt(3))
    assert gan["high_quality_pct"] == pytest.approx(60.0)
    assert gan["reverse_kl"] == pytest.approx(0.3)  # the seed without high-quality samples is left out
    assert math.isnan(wgan["modes_se"])  # one seed: no standard error
    table = comparison_table(summary)
    assert "| gan | 7.0 ± 0.6 | 60.0 ± 5.8 | 0.30 ± 0.10 | – | – | – | this book, 3 seeds |" in table
    assert table.count("VEEGAN Tab. 1") == 3 and table.count("PacGAN Tab. 1") == 2
    assert len(table.splitlines()) == 2 + 2 + len(PUBLISHED)


def test_markdown_table_formats_floats_and_missing_values():
    assert markdown_table([{"a": 1.234, "b": math.nan, "c": "x"}], digits=1) == "| a | b | c |\n|---|---|---|\n| 1.2 | – | x |"
    assert markdown_table([]) == "(no rows)"


def test_run_benchmark_rows_and_unknown_variants():
    with pytest.raises(ValueError, match="unknown 2-D setting 'no-such-variant'"):
        run_benchmark(["gan", "no-such-variant"], ["ring"], 1, steps=2, batch_size=16)  # fails before training
    rows = run_benchmark(["gan"], ["ring"], 2, steps=2, batch_size=16, keep_samples=True, seed=5)
    assert len(rows) == 2 and [r["seed"] for r in rows] == [5, 6]  # two replicates, trained together
    r = rows[0]
    assert {"variant", "data", "seed", "modes", "high_quality", "reverse_kl", "steps", "seconds",
            "steps_per_second"} <= set(r)
    assert r["samples"].shape == (2500, 2) and 0 <= r["modes"] <= 8 and r["steps"] == 2
    assert not np.allclose(rows[0]["samples"], rows[1]["samples"])


def test_measure_step_rate_reports_every_variant_relative_to_the_first():
    rows = measure_step_rate(["gan", "wgan"], batch_size=16, steps_per_round=2, rounds=2)
    assert [r["variant"] for r in rows] == ["gan", "wgan"] and [r["n_critic"] for r in rows] == [1, 5]
    assert rows[0]["relative"] == 1.0 and all(len(r["rounds"]) == 2 and r["steps_per_second"] > 0 for r in rows)
    assert np.isclose(rows[1]["relative"], rows[1]["steps_per_second"] / rows[0]["steps_per_second"])


def test_the_registry_lists_every_variant():
    assert {"gan", "wgan", "wgan-gp", "unrolled", "lsgan"} == set(VARIANTS)
