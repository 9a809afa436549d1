"""What the simulator simulates: items, serial lines, disruptions and the run settings.

Frozen value objects, built by the catalogue, the command line, scenarios and tuning,
and run by ``engine`` (``simulate`` for ``Item``s, ``simulate_serial`` for a
``SerialSystem``). Item and serial values are checked when simulated (``checks``), so a
catalogue or the command line can check them first and name the line or option; a
``Disruption``, a ``SerialSystem``'s list lengths and ``RunSettings`` are checked on
construction. Days and costs follow the conventions in ``engine``'s docstring.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from subzero.domain.errors import InvalidParameter
from subzero.planning.policies.kinds import Policy
from subzero.planning.simulate.demand import DemandPattern, DemandSpec

__all__ = [
    "Disruption",
    "Expedite",
    "Item",
    "LeadTime",
    "RunSettings",
    "SecondSupplier",
    "SerialSystem",
]

LeadTime = int | Mapping[int, float]


@dataclass(frozen=True, slots=True)
class SecondSupplier:
    """A second source taking ``share`` of every order (rounded down) [split rule]."""

    supplier: str
    share: float
    lead_time: LeadTime


@dataclass(frozen=True, slots=True)
class Expedite:
    """Dual-index expediting (Veeraraghavan & Scheller-Wolf 2008, Mgmt Sci 54(4)).

    Each review, if net inventory + receipts due within ``lead_time`` days is below
    ``up_to``, the gap is ordered from the fast source at ``unit_cost`` extra per unit.
    ``lead_time`` ≥ 0 must be shorter than the item's normal lead time (for a pmf, its
    median) and ``unit_cost`` ≥ 0 (``checks.check_items``).
    """

    lead_time: int
    unit_cost: float
    up_to: int = 0


@dataclass(frozen=True, slots=True)
class Item:
    """One simulated SKU: its policy, demand, supply and costs.

    Values are checked when simulated (``checks.check_items``), not on construction, so
    that a catalogue or the command line can check them first and name the line or option.

    Args:
        lead_time: days [L] ≥ 0, an int or a pmf {days: probability}.
        holding_cost: per unit per day on hand [h]; backorder_cost per unit per day
            backordered [p]; fixed_cost per order [K]; all ≥ 0.
        lost_share: share α in [0, 1] of the units short that are lost (0 backorders, 1
            lost sales).
        lost_sale_cost: per unit lost, ≥ 0 (default: backorder_cost).
        orders_cross: False makes each order arrive no earlier than the previous one.
        capacity: most units the supplier takes per order, ≥ 1 (the rest is re-ordered
            later).
        promise_days: a backordered line keeps its promise when it waits at most this
            many days, ≥ 0 (default: the longest lead time + 1).
    """

    sku: str
    policy: Policy
    demand: DemandSpec
    lead_time: LeadTime = 0
    holding_cost: float = 1.0
    backorder_cost: float = 0.0
    fixed_cost: float = 0.0
    lost_share: float = 0.0
    lost_sale_cost: float | None = None
    orders_cross: bool = True
    supplier: str = "default"
    second: SecondSupplier | None = None
    capacity: int | None = None
    expedite: Expedite | None = None
    promise_days: int | None = None


@dataclass(frozen=True, slots=True)
class Disruption:
    """Supplier ``supplier`` delivers nothing on measured days first_day…last_day
    (0 ≤ first_day ≤ last_day; day 0 is the first measured day); receipts due then
    arrive on last_day + 1."""

    supplier: str
    first_day: int
    last_day: int

    def __post_init__(self) -> None:
        if self.first_day < 0:
            raise InvalidParameter(
                f"disruption of {self.supplier}: first day {self.first_day} must be ≥ 0 "
                "(day 0 is the first measured day)"
            )
        if self.last_day < self.first_day:
            raise InvalidParameter(
                f"disruption of {self.supplier}: last day {self.last_day} is before the "
                f"first, {self.first_day}"
            )


@dataclass(frozen=True, slots=True)
class RunSettings:
    """Run length and output analysis.

    ``method`` "batch-means": one run of warmup + periods, measured periods cut into
    ``batches`` batches (Law, *Simulation Modeling and Analysis*, §9.5.3);
    "replications": ``replications`` independent runs, each with its own warm-up.
    ``periods`` ≥ 1, ``warmup`` ≥ 0, ``batches`` and ``replications`` ≥ 1 (≥ 2 for the
    method in use); a disruption must start within the measured days.
    """

    periods: int
    warmup: int = 1000
    batches: int = 20
    replications: int = 1
    method: str = "batch-means"
    pattern: DemandPattern = field(default_factory=DemandPattern)
    disruptions: tuple[Disruption, ...] = ()
    kernel: str = "compiled"

    def __post_init__(self) -> None:
        if self.method not in ("batch-means", "replications"):
            raise InvalidParameter(f"method {self.method!r}: use batch-means or replications")
        if self.kernel not in ("compiled", "numpy"):
            raise InvalidParameter(f"kernel {self.kernel!r}: use compiled or numpy")
        if self.warmup < 0:
            raise InvalidParameter(f"warmup {self.warmup}: must be ≥ 0")
        if self.periods < 1:
            raise InvalidParameter(f"periods {self.periods}: must be ≥ 1")
        for count, what in ((self.batches, "batches"), (self.replications, "replications")):
            if count < 1:
                raise InvalidParameter(f"{what} {count}: must be ≥ 1")
        for d in self.disruptions:
            if d.first_day >= self.periods:
                raise InvalidParameter(
                    f"disruption of {d.supplier} from day {d.first_day}: the run measures "
                    f"days 0 to {self.periods - 1} only"
                )
        groups = self.batches if self.method == "batch-means" else self.replications
        if groups < 2:
            raise InvalidParameter(f"{self.method}: need ≥ 2 batches or replications for a CI")
        if self.periods < self.batches:
            raise InvalidParameter(f"periods {self.periods}: need ≥ batches ({self.batches})")


@dataclass(frozen=True, slots=True)
class SerialSystem:
    """A serial line, stage 1 facing the customer, stage N fed by an unlimited source.

    Lists run from stage 1 (downstream) to stage N (upstream).

    Values are checked when simulated (``checks.check_serial``); construction checks
    only that the lists have one entry per stage.

    Args:
        echelon_base_stock: echelon base-stock levels [S_j] (stock at j and below, in
            transit below j, minus backorders); effective only when S_1 ≤ … ≤ S_N.
        lead_time: transit days into stage j from j + 1 [L_j] ≥ 0.
        echelon_holding_cost: echelon holding cost [h_j] ≥ 0 = installation cost of j
            minus that of j + 1 (Clark & Scarf 1960).
        backorder_cost: per unit per day backordered at stage 1 [p] ≥ 0.
    """

    echelon_base_stock: tuple[int, ...]
    lead_time: tuple[int, ...]
    echelon_holding_cost: tuple[float, ...]
    backorder_cost: float
    demand: DemandSpec
    promise_days: int | None = None

    def __post_init__(self) -> None:
        n = len(self.echelon_base_stock)
        if n == 0 or len(self.lead_time) != n or len(self.echelon_holding_cost) != n:
            raise InvalidParameter(
                f"serial system: {n} base-stock levels, {len(self.lead_time)} lead times and "
                f"{len(self.echelon_holding_cost)} holding costs must be the same number ≥ 1"
            )
