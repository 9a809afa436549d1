"""The SQLAlchemy unit of work: one session, one transaction, events in the outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any, Self

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from subzero.adapters.db import tables
from subzero.adapters.db.forecast_store import SqlForecastStore
from subzero.adapters.db.repositories import (
    SqlCustomers,
    SqlEventLog,
    SqlItems,
    SqlOrders,
    SqlPurchaseOrders,
    SqlSuppliers,
)
from subzero.domain.errors import InvalidState
from subzero.domain.events import (
    GENESIS_HASH,
    DomainEvent,
    canonical_json,
    chain_hash,
    plain_utc,
)
from subzero.service.unit_of_work import UnitOfWork

__all__ = ["SqlAlchemyUnitOfWork"]

# serialization_failure, deadlock_detected, and unique_violation: a concurrent
# transaction inserted the same key first (two planners adding one SKU); run again, the
# use case then finds the row and answers as it would have (AlreadyExists, a top-up)
_RETRYABLE_SQLSTATES = {"40001", "40P01", "23505"}


class SqlAlchemyUnitOfWork(UnitOfWork):
    def __init__(self, session_factory: sessionmaker[Session], *, read_only: bool = False) -> None:
        super().__init__()
        self.session_factory = session_factory
        self.session: Session | None = None
        self.read_only = read_only

    def __enter__(self) -> Self:
        super().__enter__()
        self.session = self.session_factory()
        self.suppliers = SqlSuppliers(self.session)
        self.customers = SqlCustomers(self.session)
        self.items = SqlItems(self.session)
        self.orders = SqlOrders(self.session)
        self.purchase_orders = SqlPurchaseOrders(self.session)
        self.events = SqlEventLog(self.session)
        self.forecasts = SqlForecastStore(self.session)
        return self

    def __exit__(self, *args: Any) -> None:
        super().__exit__(*args)
        assert self.session is not None
        self.session.close()

    def flush(self) -> None:
        assert self.session is not None
        self.session.flush()

    def _commit(self, events: list[tuple[dt.datetime, DomainEvent]]) -> None:
        assert self.session is not None
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit (use Runtime.uow())")
        self.session.flush()
        if events:
            self._append_events(events)
        self.session.commit()

    def _rollback(self) -> None:
        if self.session is not None:
            self.session.rollback()

    def _append_events(self, events: list[tuple[dt.datetime, DomainEvent]]) -> None:
        """Chain the new events to the head of the log, under the head row's lock.

        Without a head row the log may start only if it is empty: the head of a log
        that has events must never be made anew, or a new chain would start on top of
        (and hide) whatever removed it. The write is refused then (``InvalidState``), and
        so it is when an event already stands past the head.
        """
        assert self.session is not None
        chain = tables.event_chain
        head = self.session.execute(
            select(chain.c.seq, chain.c.head_hash).where(chain.c.id == 1).with_for_update()
        ).one_or_none()
        if head is None:
            last = self.session.scalar(select(func.max(tables.events.c.seq)))
            if last is not None:
                raise InvalidState(
                    f"the event log's head is missing (the log ends at seq {last}): the log "
                    "is broken, nothing was written; run `subzero events verify`"
                )
            self.session.execute(insert(chain).values(id=1, seq=0, head_hash=GENESIS_HASH))
            seq, prev = 0, GENESIS_HASH
        else:
            seq, prev = head
            past = select(tables.events.c.seq).where(tables.events.c.seq == seq + 1)
            if self.session.scalar(past) is not None:  # a primary-key probe
                raise InvalidState(
                    f"the event log goes on past its head (seq {seq}): the log is broken, "
                    "nothing was written; run `subzero events verify`"
                )
        rows = []
        for when, event in events:
            at = plain_utc(when)  # as stored: what is hashed is what is read back
            seq += 1
            payload = canonical_json(event.payload())
            refs = event.refs()
            hash_ = chain_hash(prev, seq, event.type, at, payload, **refs)
            rows.append(
                {
                    "seq": seq,
                    "type": event.type,
                    "at": at,
                    "payload": payload,
                    "prev_hash": prev,
                    "hash": hash_,
                    **refs,
                }
            )
            prev = hash_
        self.session.execute(insert(tables.events), rows)
        self.session.execute(update(chain).where(chain.c.id == 1).values(seq=seq, head_hash=prev))

    def is_retryable(self, exc: BaseException) -> bool:
        if isinstance(exc, DBAPIError):
            code = getattr(exc.orig, "sqlstate", None)
            return code in _RETRYABLE_SQLSTATES
        return False
