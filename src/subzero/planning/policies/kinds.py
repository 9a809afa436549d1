"""The stock policies an item can follow, as value objects shared by the service,
the simulator and the optimisers.

Conventions (Snyder & Shen, *Fundamentals of Supply Chain Theory*, ch. 4;
Zipkin, *Foundations of Inventory Management*, ch. 6): decisions look at the
**inventory position** IP = on hand + on order − backordered (− allocated, which is
zero in the period models), reviewed once per day (periodic review, day buckets).

* ``MakeToOrder`` — order exactly what each sale below zero needs: keep IP ≥ 0.
* ``BaseStock(S)`` — order up to S every review: order max(0, S − IP).
* ``SS(s, S)`` — when IP ≤ s, order up to S (Scarf 1960).
* ``RQ(r, Q)`` — when IP ≤ r, order the smallest multiple of Q that lifts IP above r.
* ``RS(R, S)`` — every R days (review period), order up to S.
* ``MinMax(minimum, maximum)`` — the ERP name of (s, S): when IP < minimum, order up to
  maximum.

Stored and shown as text: ``mto``, ``base-stock:S=40``, ``sS:s=4,S=10``,
``rQ:r=5,Q=20``, ``RS:R=7,S=30``, ``minmax:min=2,max=9`` (``policy_to_text`` /
``policy_from_text``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from subzero.domain.errors import InvalidParameter

__all__ = [
    "RQ",
    "RS",
    "SS",
    "BaseStock",
    "MakeToOrder",
    "MinMax",
    "Policy",
    "PolicyKind",
    "order_quantity",
    "policy_from_text",
    "policy_to_text",
    "target_level",
]


class PolicyKind(enum.StrEnum):
    """Stable names, used in files, the CLI and the database."""

    MAKE_TO_ORDER = "mto"
    BASE_STOCK = "base-stock"
    S_S = "sS"
    R_Q = "rQ"
    R_S = "RS"
    MIN_MAX = "minmax"


@dataclass(frozen=True, slots=True)
class MakeToOrder:
    kind: PolicyKind = PolicyKind.MAKE_TO_ORDER


@dataclass(frozen=True, slots=True)
class BaseStock:
    """Order up to ``base_stock_level`` [S] every review."""

    base_stock_level: int
    kind: PolicyKind = PolicyKind.BASE_STOCK


@dataclass(frozen=True, slots=True)
class SS:
    """(s, S): when IP ≤ ``reorder_point`` [s], order up to ``order_up_to`` [S]."""

    reorder_point: int
    order_up_to: int
    kind: PolicyKind = PolicyKind.S_S

    def __post_init__(self) -> None:
        if self.order_up_to <= self.reorder_point:
            raise InvalidParameter(
                f"(s,S): S={self.order_up_to} must be greater than s={self.reorder_point}"
            )


@dataclass(frozen=True, slots=True)
class RQ:
    """(r, Q): when IP ≤ ``reorder_point`` [r], order multiples of ``order_quantity`` [Q]."""

    reorder_point: int
    order_quantity: int
    kind: PolicyKind = PolicyKind.R_Q

    def __post_init__(self) -> None:
        if self.order_quantity <= 0:
            raise InvalidParameter(f"(r,Q): Q={self.order_quantity} must be positive")


@dataclass(frozen=True, slots=True)
class RS:
    """(R, S): every ``review_period_days`` [R] order up to ``order_up_to`` [S]."""

    review_period_days: int
    order_up_to: int
    kind: PolicyKind = PolicyKind.R_S

    def __post_init__(self) -> None:
        if self.review_period_days <= 0:
            raise InvalidParameter(f"(R,S): R={self.review_period_days} must be positive")


@dataclass(frozen=True, slots=True)
class MinMax:
    """Min/max: when IP < ``minimum``, order up to ``maximum``."""

    minimum: int
    maximum: int
    kind: PolicyKind = PolicyKind.MIN_MAX

    def __post_init__(self) -> None:
        if self.maximum < self.minimum:
            raise InvalidParameter(f"min/max: max={self.maximum} is below min={self.minimum}")


Policy = MakeToOrder | BaseStock | SS | RQ | RS | MinMax


def order_quantity(policy: Policy, inventory_position: int, *, day: int = 0) -> int:
    """Units to order now under ``policy`` given the inventory position (never negative).

    ``day`` is the review day index, used only by (R, S) (it orders when day % R == 0).
    """
    ip = inventory_position
    match policy:
        case MakeToOrder():
            return max(0, -ip)
        case BaseStock(base_stock_level=s_level):
            return max(0, s_level - ip)
        case SS(reorder_point=s, order_up_to=s_up):
            return s_up - ip if ip <= s else 0
        case RQ(reorder_point=r, order_quantity=q):
            if ip > r:
                return 0
            return q * ((r - ip) // q + 1)
        case RS(review_period_days=period, order_up_to=s_up):
            return max(0, s_up - ip) if day % period == 0 else 0
        case MinMax(minimum=lo, maximum=hi):
            return hi - ip if ip < lo else 0
    raise InvalidParameter(f"unknown policy {policy!r}")


def policy_from_text(text: str) -> Policy:
    """Parse the stored form; a bad one names itself and the valid forms."""
    kind_text, _, params_text = text.strip().partition(":")
    try:
        kind = PolicyKind(kind_text)
        params: dict[str, int] = {}
        for part in filter(None, params_text.split(",")):
            key, value = part.split("=")
            params[key.strip()] = int(value)
        match kind:
            case PolicyKind.MAKE_TO_ORDER:
                return MakeToOrder()
            case PolicyKind.BASE_STOCK:
                return BaseStock(params["S"])
            case PolicyKind.S_S:
                return SS(params["s"], params["S"])
            case PolicyKind.R_Q:
                return RQ(params["r"], params["Q"])
            case PolicyKind.R_S:
                return RS(params["R"], params["S"])
            case PolicyKind.MIN_MAX:
                return MinMax(params["min"], params["max"])
    except (ValueError, KeyError):
        pass
    raise InvalidParameter(
        f"policy {text!r}: use mto, base-stock:S=N, sS:s=N,S=N, rQ:r=N,Q=N, RS:R=N,S=N "
        "or minmax:min=N,max=N"
    )


def policy_to_text(policy: Policy) -> str:
    match policy:
        case MakeToOrder():
            return "mto"
        case BaseStock(base_stock_level=s_level):
            return f"base-stock:S={s_level}"
        case SS(reorder_point=s, order_up_to=s_up):
            return f"sS:s={s},S={s_up}"
        case RQ(reorder_point=r, order_quantity=q):
            return f"rQ:r={r},Q={q}"
        case RS(review_period_days=period, order_up_to=s_up):
            return f"RS:R={period},S={s_up}"
        case MinMax(minimum=lo, maximum=hi):
            return f"minmax:min={lo},max={hi}"
    raise InvalidParameter(f"unknown policy {policy!r}")


def target_level(policy: Policy) -> int:
    """The highest inventory position the policy ever aims for: above it, a draft
    purchase order is more than needed and is reduced."""
    match policy:
        case MakeToOrder():
            return 0
        case BaseStock(base_stock_level=s_level):
            return s_level
        case SS(order_up_to=s_up) | RS(order_up_to=s_up):
            return s_up
        case RQ(reorder_point=r, order_quantity=q):
            return r + q
        case MinMax(maximum=hi):
            return hi
    raise InvalidParameter(f"unknown policy {policy!r}")
