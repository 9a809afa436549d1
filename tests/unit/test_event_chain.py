"""The event log's hash chain and its head (``domain.events``): what ``events verify``
finds, and the master-data events that put every state change in the log."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from tests.unit.conftest import Shop

from subzero.domain import commands as c
from subzero.domain.errors import InvalidState
from subzero.domain.events import (
    GENESIS_HASH,
    ChainBreak,
    StoredLink,
    chain_hash,
    find_break,
)
from subzero.service.views import verify_event_log

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _log(n: int = 4) -> tuple[list[StoredLink], tuple[int, str]]:
    """A well-formed log of ``n`` events of orders 1, 2, … and its head."""
    links: list[StoredLink] = []
    prev = GENESIS_HASH
    for seq in range(1, n + 1):
        at = T0 + dt.timedelta(minutes=seq)
        payload = json.dumps({"order_id": seq, "sku": "W", "units": seq}, sort_keys=True)
        hash_ = chain_hash(prev, seq, "LineShipped", at, payload, sku="W", order_id=seq, po_id=None)
        links.append((seq, "LineShipped", at, "W", seq, None, payload, prev, hash_))
        prev = hash_
    return links, (n, prev)


def _rehashed(links: list[StoredLink]) -> list[StoredLink]:
    """``links`` chained afresh, as a forger who knows the rule would (head not moved)."""
    out: list[StoredLink] = []
    prev = GENESIS_HASH
    for seq, type_, at, sku, order_id, po_id, payload, _prev, _hash in links:
        hash_ = chain_hash(prev, seq, type_, at, payload, sku=sku, order_id=order_id, po_id=po_id)
        out.append((seq, type_, at, sku, order_id, po_id, payload, prev, hash_))
        prev = hash_
    return out


def test_the_hash_is_the_documented_rule() -> None:
    """What a partner computes from ``chain_hash``'s docstring, with nothing but hashlib
    and json, is the stored hash."""
    at = dt.datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=dt.UTC)
    payload = '{"order_id":5,"sku":"W"}'
    text = (
        '[2,"' + GENESIS_HASH + '",1,"LineShipped","2026-03-02T09:00:00.123456+00:00",'
        '"W",5,null,"{\\"order_id\\":5,\\"sku\\":\\"W\\"}"]'
    )
    expected = hashlib.sha256(text.encode()).hexdigest()
    assert chain_hash(
        GENESIS_HASH, 1, "LineShipped", at, payload, sku="W", order_id=5, po_id=None
    ) == (expected)


@pytest.mark.parametrize(
    "refs",
    [
        {"sku": "V", "order_id": 5, "po_id": None},
        {"sku": "W", "order_id": 6, "po_id": None},
        {"sku": "W", "order_id": 5, "po_id": 1},
        {"sku": None, "order_id": 5, "po_id": None},
    ],
)
def test_the_hash_covers_each_reference(refs: dict[str, object]) -> None:
    payload = '{"order_id":5,"sku":"W"}'
    kept = chain_hash(GENESIS_HASH, 1, "X", T0, payload, sku="W", order_id=5, po_id=None)
    assert chain_hash(GENESIS_HASH, 1, "X", T0, payload, **refs) != kept  # type: ignore[arg-type]


def test_an_intact_log_and_an_empty_one_hold() -> None:
    links, head = _log()
    assert find_break(links, head) is None
    assert find_break([], (0, GENESIS_HASH)) is None
    assert find_break([], None) is None  # nothing written yet: the first write makes it


def test_a_rewritten_payload_breaks_at_that_event() -> None:
    links, head = _log()
    seq, type_, at, sku, order_id, po_id, payload, prev, hash_ = links[1]
    links[1] = (seq, type_, at, sku, order_id, po_id, payload.replace("2", "9"), prev, hash_)
    broken = find_break(links, head)
    assert broken == 2 and "changed after it was written" in broken.reason


def test_an_event_moved_to_another_order_breaks_at_that_event() -> None:
    """``UPDATE events SET order_id = 3 WHERE order_id = 2`` would show order 2's
    history under order 3."""
    links, head = _log()
    seq, type_, at, sku, _order, po_id, payload, prev, hash_ = links[1]
    links[1] = (seq, type_, at, sku, 3, po_id, payload, prev, hash_)
    assert find_break(links, head) == 2


def test_an_event_removed_from_the_middle_is_named() -> None:
    links, head = _log(5)
    del links[1:3]
    broken = find_break(links, head)
    assert broken == 2 and broken.reason == "events 2-3 are missing: event 4 follows event 1"
    assert find_break(links[1:], head) == 1  # the first gone: "the log starts at 4"


def test_events_cut_off_the_end_are_caught_by_the_head() -> None:
    links, head = _log(5)
    broken = find_break(links[:3], head)
    assert broken == 4
    assert broken.reason == "the log ends at seq 3 but its head says 5"
    assert find_break([], head) == 1  # every event deleted


def test_a_missing_head_is_a_break() -> None:
    links, _head = _log(3)
    broken = find_break(links, None)
    assert broken == 4 and broken.reason == "the log ends at seq 3 but its head is missing"


def test_a_forged_head_is_a_break() -> None:
    links, (seq, _hash) = _log(3)
    broken = find_break(links, (seq, "f" * 64))
    assert broken == 3 and "head's hash is not the hash of event 3" in broken.reason
    assert find_break([], (0, "f" * 64)) == 1


def test_events_added_behind_the_heads_back_are_a_break() -> None:
    links, _ = _log(4)
    _, head = _log(2)
    broken = find_break(links, head)
    assert broken == 3 and broken.reason == "the log goes on to seq 4 but its head says 2"


def test_a_tail_rewritten_with_fresh_hashes_is_caught_by_the_head() -> None:
    """A forger who rewrites event 3 and re-chains everything after it: each event
    chains to the one before, only the head still holds the old hash."""
    links, head = _log(4)
    seq, type_, at, sku, order_id, po_id, payload, prev, hash_ = links[2]
    links[2] = (seq, type_, at, sku, order_id, po_id, payload.replace("3", "7"), prev, hash_)
    broken = find_break(_rehashed(links), head)
    assert broken == 4 and "forged or the log rewritten" in broken.reason


def test_a_break_is_its_seq() -> None:
    broken = ChainBreak(7, "why")
    assert broken == 7 and int(broken) == 7 and json.dumps(broken) == "7"
    assert str(broken) == f"{broken}" == "7"
    assert repr(broken) == "ChainBreak(7, 'why')"


# -- the service, on the in-memory unit of work ---------------------------------------


def _kinds(shop: Shop) -> list[str]:
    return [row[1] for row in shop.store.events]


def test_suppliers_and_customers_added_are_in_the_log(shop: Shop) -> None:
    """Every state change emits an event: adding a supplier or a customer too."""
    assert _kinds(shop) == ["SupplierAdded", "CustomerAdded", "CustomerAdded", "ItemAdded"]
    shop.bus.handle(c.AddSupplier("FAST", 2, lead_time_sd_days=0.5))
    shop.bus.handle(c.AddCustomer("carol", 3))
    added = [(row[1], json.loads(row[3])) for row in shop.store.events[-2:]]
    assert added == [
        ("SupplierAdded", {"supplier": "FAST", "lead_time_days": 2, "lead_time_sd_days": 0.5}),
        ("CustomerAdded", {"customer": "carol", "priority": 3}),
    ]
    assert verify_event_log(shop.uow()) is None


def test_a_write_without_the_head_is_refused(shop: Shop) -> None:
    """The head of a log with events is never made anew: that would start a new chain
    on top of whatever removed it."""
    shop.store.event_head = None
    before = list(shop.store.events)
    with pytest.raises(InvalidState, match=r"head is missing \(the log ends at seq 4\)"):
        shop.bus.handle(c.AddCustomer("carol", 3))
    assert shop.store.events == before
    broken = verify_event_log(shop.uow())
    assert broken == 5 and "head is missing" in broken.reason
