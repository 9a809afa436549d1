"""Master data: suppliers, customers and items.

These are plain entity classes (the adapters map them to tables imperatively, so the
domain knows nothing of the database). Validation lives in the constructors: a bad value
never reaches storage.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from subzero.domain.errors import InvalidParameter

__all__ = [
    "MAX_UNITS",
    "MAX_UNITS_HELD",
    "Customer",
    "Item",
    "Supplier",
    "validate_name",
    "validate_quantity",
]

_NAME = re.compile(r"[^\W_][\w.:/@+-]{0,63}")  # \w: letters of any alphabet, digits, _

MAX_UNITS = 100_000_000
"""The most units one quantity may state (an order line, a receipt, stock on hand)."""
MAX_UNITS_HELD = 2**31 - 1
"""The most units a purchase order or an item's stock may add up to (a 32-bit column)."""


def validate_name(kind: str, name: str) -> str:
    """A name or SKU: 1–64 letters (any alphabet), digits or ``. _ : / @ + -``, starting
    with a letter or digit."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidParameter(
            f"{kind} {name!r} is not a valid name: use 1-64 letters (any alphabet), digits "
            "or . _ : / @ + -, starting with a letter or digit"
        )
    return name


def validate_quantity(what: str, value: Any, *, allow_zero: bool = False) -> int:
    """Quantities are whole units; ``"2.5"``, ``0`` (unless allowed) and negatives are refused."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameter(f"{what}: {value!r} is not a whole number of units")
    if value < 0 or (value == 0 and not allow_zero):
        bound = "0 or more" if allow_zero else "at least 1"
        raise InvalidParameter(f"{what}: {value} units; must be {bound}")
    if value > MAX_UNITS:
        raise InvalidParameter(f"{what}: {value} units; must be at most {MAX_UNITS:,}")
    return value


class Supplier:
    """A supplier and its lead time: days from sending a PO to receiving it.

    ``lead_time_sd_days`` is the standard deviation of that lead time (0 = reliable);
    promises use it, with the lateness of the supplier's deliveries since
    ``lead_time_set_at`` (``domain.promise``), to pick a date that will be kept with the
    target confidence.
    """

    id: int | None

    def __init__(self, name: str, lead_time_days: int, lead_time_sd_days: float = 0.0) -> None:
        self.id = None
        self.name = validate_name("supplier", name)
        self.lead_time_days, self.lead_time_sd_days = _lead_time(
            name, lead_time_days, lead_time_sd_days
        )
        self.lead_time_set_at: dt.datetime | None = None

    def restate_lead_time(
        self, lead_time_days: int | None, lead_time_sd_days: float | None, now: dt.datetime
    ) -> None:
        """A new stated lead time (None keeps a part). Deliveries of orders sent before
        ``now`` were expected by the old one, so their lateness no longer counts."""
        self.lead_time_days, self.lead_time_sd_days = _lead_time(
            self.name,
            self.lead_time_days if lead_time_days is None else lead_time_days,
            self.lead_time_sd_days if lead_time_sd_days is None else lead_time_sd_days,
        )
        self.lead_time_set_at = now


def _lead_time(name: str, days: int, sd_days: float) -> tuple[int, float]:
    if isinstance(days, bool) or not isinstance(days, int):
        raise InvalidParameter(f"supplier {name}: lead time {days!r} is not whole days")
    if not 0 <= days <= 3650:
        raise InvalidParameter(f"supplier {name}: lead time {days} days; use 0-3650")
    sd = float(sd_days)
    if not 0.0 <= sd <= 3650.0:  # NaN fails too
        raise InvalidParameter(
            f"supplier {name}: lead-time standard deviation {sd_days}; use 0 or more"
        )
    return days, sd


class Customer:
    """A customer; ``priority`` 1 is served first when stock arrives (1–9, default 5)."""

    id: int | None

    def __init__(self, name: str, priority: int = 5) -> None:
        self.id = None
        self.name = validate_name("customer", name)
        self.priority = _priority(name, priority)

    def reprioritise(self, priority: int) -> None:
        self.priority = _priority(self.name, priority)


def _priority(name: str, priority: int) -> int:
    if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 9:
        raise InvalidParameter(f"customer {name}: priority {priority!r}; use 1 (first) to 9")
    return priority


class Item:
    """A stocked item (SKU) with its cached on-hand balance.

    ``on_hand`` is the sum of the item's stock moves, kept on the row so that the row can
    be locked and read in one step; a test checks it always equals the ledger.
    ``allow_negative=False`` (``--no-negative``) refuses any order that would backorder;
    ``backorder_limit`` caps the units that may wait (None = no cap).
    ``policy`` is the replenishment policy as stored text (see ``subzero.planning.policies.kinds``);
    ``"mto"`` (make-to-order) by default.
    """

    id: int | None
    supplier: Supplier

    def __init__(
        self,
        sku: str,
        supplier: Supplier,
        *,
        allow_negative: bool = True,
        backorder_limit: int | None = None,
        policy: str = "mto",
        jit: bool = False,
        vmi_min: int | None = None,
        vmi_max: int | None = None,
    ) -> None:
        self.id = None
        self.sku = validate_name("SKU", sku)
        self.supplier = supplier
        self.on_hand = 0
        self.allow_negative = allow_negative
        if backorder_limit is not None:
            validate_quantity(f"item {sku}: backorder limit", backorder_limit, allow_zero=True)
        self.backorder_limit = backorder_limit
        self.policy = policy
        self.jit = jit
        self.vmi_min: int | None = None
        self.vmi_max: int | None = None
        if vmi_min is not None or vmi_max is not None:
            self.set_vmi(vmi_min, vmi_max)

    def set_vmi(self, minimum: int | None, maximum: int | None) -> None:
        """Put the item under vendor-managed inventory with agreed bounds on the inventory
        position (both None: back under our own replenishment)."""
        if (minimum is None) != (maximum is None):
            raise InvalidParameter(f"item {self.sku}: VMI needs both a minimum and a maximum")
        if minimum is not None and maximum is not None:
            validate_quantity(f"item {self.sku}: VMI minimum", minimum, allow_zero=True)
            validate_quantity(f"item {self.sku}: VMI maximum", maximum)
            if maximum < minimum:
                raise InvalidParameter(
                    f"item {self.sku}: VMI maximum {maximum} is below the minimum {minimum}"
                )
        self.vmi_min, self.vmi_max = minimum, maximum

    @property
    def vmi(self) -> bool:
        """True when the supplier, not us, decides replenishment (within the bounds)."""
        return self.vmi_min is not None

    def set_rules(
        self,
        *,
        allow_negative: bool | None = None,
        backorder_limit: int | None = None,
        remove_backorder_limit: bool = False,
        jit: bool | None = None,
    ) -> None:
        """Change the below-zero rules and JIT (None keeps a field)."""
        if backorder_limit is not None and remove_backorder_limit:
            raise InvalidParameter(f"item {self.sku}: set a backorder limit or remove it, not both")
        if backorder_limit is not None:
            validate_quantity(f"item {self.sku}: backorder limit", backorder_limit, allow_zero=True)
            self.backorder_limit = backorder_limit
        if remove_backorder_limit:
            self.backorder_limit = None
        if allow_negative is not None:
            self.allow_negative = allow_negative
        if jit is not None:
            self.jit = jit

    @property
    def max_backordered(self) -> int | None:
        """Units that may wait in total: 0 for ``--no-negative``, else the limit or None."""
        return 0 if not self.allow_negative else self.backorder_limit
