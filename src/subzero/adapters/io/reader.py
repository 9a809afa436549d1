"""Read-only queries the exchange needs beyond the repositories: every order (with its
lines), every receipt and every stock move, from the unit of work's session."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from subzero.adapters.db import tables
from subzero.domain.ledger import StockMove
from subzero.domain.orders import Order
from subzero.domain.purchasing import Receipt
from subzero.service.exchange import ExchangeReader
from subzero.service.unit_of_work import UnitOfWork

__all__ = ["SqlExchangeReader", "exchange_reader"]


class SqlExchangeReader:
    def __init__(self, session: Session) -> None:
        self.session = session

    def orders(self) -> Sequence[Order]:
        stmt = select(Order).order_by(tables.orders.c.id)
        return self.session.scalars(stmt).unique().all()

    def receipts(self) -> Sequence[Receipt]:
        stmt = select(Receipt).order_by(tables.receipts.c.id)
        return self.session.scalars(stmt).unique().all()

    def moves(self) -> Sequence[StockMove]:
        stmt = select(StockMove).order_by(tables.stock_moves.c.id)
        return self.session.scalars(stmt).all()


def exchange_reader(uow: UnitOfWork) -> ExchangeReader:
    """The reader over ``uow``'s open session (``uow`` must be the SQLAlchemy one, entered)."""
    session = getattr(uow, "session", None)
    if not isinstance(session, Session):
        raise TypeError("the exchange reader needs an entered SQLAlchemy unit of work")
    return SqlExchangeReader(session)
