"""One hierarchy of business errors, each with a stable ``code``.

::

    SubzeroError                 code "error"               400
    ├── NotFound                 code "not_found"           404
    ├── AlreadyExists            code "already_exists"      409
    ├── InsufficientStock        code "insufficient_stock"  409
    ├── InvalidState             code "invalid_state"       409
    └── InvalidParameter         code "invalid_parameter"   422   (also a ValueError)

The domain, planning and service layers raise these; the CLI prints
``error[<code>]: <message>`` on one line and exits 1; the API (a later issue) turns
them into RFC 9457 problem details. Messages name the bad value and what would be valid.
"""

from __future__ import annotations

__all__ = [
    "AlreadyExists",
    "InsufficientStock",
    "InvalidParameter",
    "InvalidState",
    "NotFound",
    "SubzeroError",
]


class SubzeroError(Exception):
    """Base of every error the product raises on purpose."""

    code = "error"
    http_status = 400

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.code


class NotFound(SubzeroError):
    """A named thing (customer, SKU, order, purchase order) does not exist."""

    code = "not_found"
    http_status = 404


class AlreadyExists(SubzeroError):
    """A thing with this name or key already exists."""

    code = "already_exists"
    http_status = 409


class InsufficientStock(SubzeroError):
    """The item may not go below its floor, and the order asks for more than is free."""

    code = "insufficient_stock"
    http_status = 409


class InvalidState(SubzeroError):
    """The action does not fit the current state (e.g. receiving a cancelled PO)."""

    code = "invalid_state"
    http_status = 409


class InvalidParameter(SubzeroError, ValueError):
    """A value is out of its valid range or malformed."""

    code = "invalid_parameter"
    http_status = 422
