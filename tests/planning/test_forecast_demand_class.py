"""Syntetos–Boylan classification (Syntetos, Boylan & Croston 2005, JORS 56(5), 495–503)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from subzero.planning.demand_class import (
    ADI_CUTOFF,
    CV2_CUTOFF,
    DemandClass,
    classify,
    classify_frame,
    demand_class_of,
)


def test_cutoffs_are_the_published_ones() -> None:
    assert (ADI_CUTOFF, CV2_CUTOFF) == (1.32, 0.49)


@pytest.mark.parametrize(
    ("adi", "cv2", "expected"),
    [
        (1.0, 0.0, DemandClass.SMOOTH),
        (1.3199, 0.4899, DemandClass.SMOOTH),
        (1.3199, 0.49, DemandClass.ERRATIC),
        (1.32, 0.4899, DemandClass.INTERMITTENT),
        (1.32, 0.49, DemandClass.LUMPY),
        (float("inf"), 0.0, DemandClass.INTERMITTENT),
    ],
)
def test_class_quadrants_and_boundaries(adi: float, cv2: float, expected: DemandClass) -> None:
    assert demand_class_of(adi, cv2) is expected


def test_known_answer_intermittent_series() -> None:
    profile = classify([0, 0, 3, 0, 3, 0])
    assert profile.adi == pytest.approx(3.0)
    assert profile.cv2 == pytest.approx(0.0)
    assert profile.demand_class is DemandClass.INTERMITTENT


def test_known_answer_erratic_series() -> None:
    # sizes 1 and 9: mean 5, population variance 16, CV² = 16/25 = 0.64
    profile = classify([1, 9, 1, 9])
    assert (profile.adi, profile.cv2, profile.demand_class) == (
        1.0,
        pytest.approx(0.64),
        DemandClass.ERRATIC,
    )


def test_frame_matches_single_series_classification() -> None:
    rng = np.random.default_rng(0)
    series = {
        f"s{i}": np.where(rng.random(50) < rng.uniform(0.1, 1.0), rng.integers(1, 20, 50), 0)
        for i in range(40)
    }
    series["none"] = np.zeros(50, dtype=int)
    history = pd.concat(
        [pd.DataFrame({"unique_id": k, "y": v.astype(float)}) for k, v in series.items()],
        ignore_index=True,
    )
    table = classify_frame(history)
    for uid, y in series.items():
        one = classify(y)
        assert table.at[uid, "demand_class"] == one.demand_class.value
        assert table.at[uid, "adi"] == pytest.approx(one.adi)
        assert table.at[uid, "cv2"] == pytest.approx(one.cv2)
    assert table.at["none", "demand_class"] == "intermittent"
