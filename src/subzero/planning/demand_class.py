"""Syntetos–Boylan demand classification: smooth, erratic, intermittent, lumpy.

Two statistics of a demand history decide the class:

* ADI, the average inter-demand interval: number of periods / number of periods with
  demand (``inf`` when no period has demand);
* CV², the squared coefficient of variation of the non-zero demand sizes
  (population variance / mean²; 0 with fewer than two demands).

::

                 CV² < 0.49       CV² >= 0.49
    ADI < 1.32   smooth           erratic
    ADI >= 1.32  intermittent     lumpy

The cut-offs are those of Syntetos, Boylan & Croston (2005), "On the categorization of
demand patterns", *Journal of the Operational Research Society* 56(5), 495–503, where
they mark the regions in which SBA beats Croston's method and vice versa. A series
with no demand at all is ``intermittent`` (ADI = inf, CV² = 0).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ADI_CUTOFF",
    "CV2_CUTOFF",
    "DemandClass",
    "DemandProfile",
    "classify",
    "classify_frame",
    "demand_class_of",
]

ADI_CUTOFF = 1.32
"""Average inter-demand interval separating frequent from intermittent demand."""

CV2_CUTOFF = 0.49
"""Squared coefficient of variation of demand sizes separating steady from erratic sizes."""


class DemandClass(enum.StrEnum):
    """The four Syntetos–Boylan classes."""

    SMOOTH = "smooth"
    ERRATIC = "erratic"
    INTERMITTENT = "intermittent"
    LUMPY = "lumpy"


@dataclass(frozen=True, slots=True)
class DemandProfile:
    """The classification of one demand history.

    Attributes:
        adi: average inter-demand interval (periods per demand); ``inf`` with no demand.
        cv2: squared coefficient of variation of the non-zero demand sizes.
        demand_class: the Syntetos–Boylan class from ``adi`` and ``cv2``.
        periods: number of periods in the history.
        demands: number of periods with a demand above zero.
    """

    adi: float
    cv2: float
    demand_class: DemandClass
    periods: int
    demands: int


def demand_class_of(adi: float, cv2: float) -> DemandClass:
    """Class of an (ADI, CV²) pair; a value on a cut-off belongs to the upper side.

    Example: ``demand_class_of(1.32, 0.49)`` is ``LUMPY``; ``demand_class_of(1.0, 0.1)`` is
    ``SMOOTH``.
    """
    if adi < ADI_CUTOFF:
        return DemandClass.ERRATIC if cv2 >= CV2_CUTOFF else DemandClass.SMOOTH
    return DemandClass.LUMPY if cv2 >= CV2_CUTOFF else DemandClass.INTERMITTENT


def classify(demand: npt.ArrayLike) -> DemandProfile:
    """Classify one demand history (shape ``(n_periods,)``, values >= 0).

    Example: ``[0, 0, 3, 0, 3, 0]`` has ADI 6/2 = 3 and CV² 0, so it is intermittent.
    """
    y = np.asarray(demand, dtype=np.float64)
    sizes = y[y > 0]
    periods, demands = int(y.size), int(sizes.size)
    adi = periods / demands if demands else float("inf")
    cv2 = float(sizes.var() / sizes.mean() ** 2) if demands >= 2 else 0.0
    return DemandProfile(adi, cv2, demand_class_of(adi, cv2), periods, demands)


def classify_frame(history: pd.DataFrame) -> pd.DataFrame:
    """Classify every series of a long frame, vectorised.

    Args:
        history: columns ``unique_id``, ``y`` (one row per series and period).

    Returns:
        One row per series, indexed by ``unique_id``, with columns ``adi``, ``cv2``,
        ``demand_class`` (the class's string value), ``periods`` and ``demands``.
    """
    import pandas as pd

    y = history["y"].to_numpy(dtype=np.float64)
    positive = y > 0
    frame = pd.DataFrame(
        {
            "unique_id": history["unique_id"].to_numpy(),
            "one": 1,
            "pos": positive.astype(np.int64),
            "size": np.where(positive, y, 0.0),
            "size2": np.where(positive, y * y, 0.0),
        }
    )
    sums = frame.groupby("unique_id", sort=True, observed=True)[
        ["one", "pos", "size", "size2"]
    ].sum()
    periods = sums["one"].to_numpy(dtype=np.float64)
    demands = sums["pos"].to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        adi = np.where(demands > 0, periods / demands, np.inf)
        mean = sums["size"].to_numpy() / demands
        var = sums["size2"].to_numpy() / demands - mean * mean
        cv2 = np.where(demands >= 2, np.maximum(var, 0.0) / (mean * mean), 0.0)
    smooth_side = adi < ADI_CUTOFF
    steady = cv2 < CV2_CUTOFF
    labels = np.where(
        smooth_side,
        np.where(steady, DemandClass.SMOOTH.value, DemandClass.ERRATIC.value),
        np.where(steady, DemandClass.INTERMITTENT.value, DemandClass.LUMPY.value),
    )
    return pd.DataFrame(
        {
            "adi": adi,
            "cv2": cv2,
            "demand_class": labels,
            "periods": periods.astype(np.int64),
            "demands": demands.astype(np.int64),
        },
        index=sums.index,
    )
