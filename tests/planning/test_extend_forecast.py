"""A stored daily forecast that ends before the planning horizon is continued, not read
as zero demand (``pipeline.extend_forecast``)."""

from __future__ import annotations

import numpy as np
import pytest

from subzero.planning.pipeline import extend_forecast


def test_a_weekly_pattern_continues_on_the_same_weekdays() -> None:
    week = np.array([9.0, 1, 1, 1, 1, 5, 0])
    means = np.zeros((2, 28))
    means[0, :10] = np.tile(week, 2)[:10]  # ten days covered: the pattern starts a week on
    means[1, :10] = 3.0
    out = extend_forecast(means, covered=10)
    assert np.array_equal(out[0], np.tile(week, 4))  # every Monday 9, every Saturday 5
    assert np.array_equal(out[1], np.full(28, 3.0))
    assert np.array_equal(out[:, :10], means[:, :10]) and means[0, 10:].sum() == 0  # a copy


def test_less_than_a_week_covered_continues_at_the_mean_and_a_full_one_is_unchanged() -> None:
    means = np.array([[2.0, 4.0, 0.0, 0.0, 0.0]])
    assert np.array_equal(extend_forecast(means, covered=2), [[2.0, 4.0, 3.0, 3.0, 3.0]])
    full = np.arange(14.0)
    assert np.array_equal(extend_forecast(full, covered=14), full)
    with pytest.raises(ValueError, match="covered 0 days"):
        extend_forecast(full, covered=0)
