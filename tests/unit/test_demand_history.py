"""The ledger's daily demand frame, against a plain per-item, per-day reference; refused
orders counted once per customer and day."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from subzero.service.demand import order_history_frame

DAY0 = dt.date(2026, 1, 1)


Row = tuple[str, str, dt.date, int]  # sku, customer, day, units


def _uow(
    rows: list[tuple[str, dt.date, int]],
    added: dict[str, dt.datetime],
    *,
    by_customer: list[Row] | None = None,
    refused: list[Row] | None = None,
) -> Any:
    """A unit of work over order lines (``rows``, or ``by_customer`` with customers)."""
    lines = by_customer if by_customer is not None else [(s, "c", d, q) for s, d, q in rows]

    def kept(table: list[Row], since: dt.datetime | None) -> list[Row]:
        return [r for r in table if since is None or r[2] >= since.date()]

    def demand_history(*, since: dt.datetime | None = None) -> list[tuple[str, dt.date, int]]:
        return sorted((s, d, q) for s, _c, d, q in kept(lines, since))

    def ordered_by_customer(skus: Any, *, since: dt.datetime | None = None) -> list[Row]:
        return [r for r in kept(lines, since) if r[0] in skus]

    return SimpleNamespace(
        orders=SimpleNamespace(
            demand_history=demand_history, ordered_by_customer=ordered_by_customer
        ),
        events=SimpleNamespace(
            first_seen=lambda event_type: added,
            of_type=lambda event_type, since=None: [
                SimpleNamespace(
                    at=dt.datetime.combine(d, dt.time(9)),
                    payload={"sku": s, "customer": c, "qty": q, "reason": "test"},
                )
                for s, c, d, q in kept(refused or [], since)
                if event_type == "DemandRefused"
            ],
        ),
    )


def _reference(
    rows: list[tuple[str, dt.date, int]],
    added: dict[str, dt.datetime],
    since: dt.date | None,
    until: dt.date,
) -> dict[tuple[str, dt.date], int]:
    """Day by day: every item with an order in the window, from the later of ``since``
    and the earlier of its addition and its first order, to the day before ``until``."""
    kept = [r for r in rows if since is None or r[1] >= since]
    out: dict[tuple[str, dt.date], int] = {}
    for sku in sorted({r[0] for r in kept}):
        first = min(r[1] for r in kept if r[0] == sku)
        start = min(first, added[sku].date()) if sku in added else first
        start = max(start, since) if since else start
        day = start
        while day < until:
            out[(sku, day)] = sum(q for s, d, q in kept if s == sku and d == day)
            day += dt.timedelta(days=1)
    return out


order = st.tuples(st.sampled_from("ABC"), st.integers(0, 30), st.integers(1, 9))


@settings(max_examples=150, deadline=None)
@given(
    orders=st.lists(order, min_size=1, max_size=40),
    added=st.dictionaries(st.sampled_from("ABCD"), st.integers(0, 30)),
    since=st.none() | st.integers(0, 20),
    until=st.integers(1, 35),
)
def test_frame_matches_the_day_by_day_reference(
    orders: list[tuple[str, int, int]],
    added: dict[str, int],
    since: int | None,
    until: int,
) -> None:
    rows = [(sku, DAY0 + dt.timedelta(days=d), q) for sku, d, q in orders]
    when = {
        sku: dt.datetime.combine(DAY0 + dt.timedelta(days=d), dt.time(9))
        for sku, d in added.items()
    }
    since_day = DAY0 + dt.timedelta(days=since) if since is not None else None
    until_day = DAY0 + dt.timedelta(days=until)
    frame = order_history_frame(_uow(rows, when), since=since_day, until=until_day)
    got = {
        (sku, ts.date()): int(y)
        for sku, ts, y in zip(frame["unique_id"], frame["ds"], frame["y"], strict=True)
    }
    assert got == _reference(rows, when, since_day, until_day)
    assert frame["ds"].dtype.kind == "M" and frame["y"].dtype == np.int64
    # sorted by item, then day, one row per item and day
    assert frame.equals(frame.sort_values(["unique_id", "ds"], kind="stable"))
    assert not frame.duplicated(["unique_id", "ds"]).any()


def test_no_orders_gives_an_empty_typed_frame() -> None:
    frame = order_history_frame(_uow([], {}), until=DAY0)
    assert frame.empty and list(frame.columns) == ["unique_id", "ds", "y"]
    assert isinstance(frame, pd.DataFrame)


line = st.tuples(
    st.sampled_from("AB"), st.sampled_from(["ann", "bob"]), st.integers(0, 6), st.integers(1, 9)
)


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(line, max_size=25), refusals=st.lists(line, min_size=1, max_size=10))
def test_refused_demand_counts_once_per_customer_and_day(
    lines: list[tuple[str, str, int, int]], refusals: list[tuple[str, str, int, int]]
) -> None:
    """Reference: per item, customer and day, the larger of the units ordered and the
    largest refused request; summed over customers."""
    day = lambda d: DAY0 + dt.timedelta(days=d)  # noqa: E731
    ordered = [(s, c, day(d), q) for s, c, d, q in lines]
    refused = [(s, c, day(d), q) for s, c, d, q in refusals]
    until = day(7)
    frame = order_history_frame(_uow([], {}, by_customer=ordered, refused=refused), until=until)
    got = {
        (sku, ts.date()): int(y)
        for sku, ts, y in zip(frame["unique_id"], frame["ds"], frame["y"], strict=True)
    }
    want: dict[tuple[str, dt.date], int] = {}
    for s, c, d in {(s, c, d) for s, c, d, _q in ordered + refused}:
        took = sum(q for s2, c2, d2, q in ordered if (s2, c2, d2) == (s, c, d))
        asked = max((q for s2, c2, d2, q in refused if (s2, c2, d2) == (s, c, d)), default=0)
        want[(s, d)] = want.get((s, d), 0) + max(took, asked)
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in want.items() if v}
    # a refusal alone makes an item part of the history
    assert {sku for sku, _ in got} == {s for s, _c, _d, _q in ordered + refused}
