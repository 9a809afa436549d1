"""Stored form of an item's replenishment policy: ``mto``, ``base-stock:S=40``,
``sS:s=4,S=10``, ``rQ:r=5,Q=20``, ``RS:R=7,S=30``, ``minmax:min=2,max=9``."""

from __future__ import annotations

from subzero.domain.errors import InvalidParameter
from subzero.planning.policies.kinds import (
    RQ,
    RS,
    SS,
    BaseStock,
    MakeToOrder,
    MinMax,
    Policy,
    PolicyKind,
)

__all__ = ["policy_from_text", "policy_to_text", "target_level"]


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
