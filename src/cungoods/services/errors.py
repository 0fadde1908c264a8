"""Domain errors: expected failures with a machine code, mapped to UserErrors by the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    NOT_ALLOWED = "NOT_ALLOWED"
    NO_CAPACITY = "NO_CAPACITY"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    CUTOFF_PASSED = "CUTOFF_PASSED"
    STATION_NOT_SERVED = "STATION_NOT_SERVED"
    WRONG_CODE = "WRONG_CODE"
    INVALID_STATE = "INVALID_STATE"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    RATE_LIMITED = "RATE_LIMITED"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    # An after-sale claim filed later than CUNGOODS_CLAIM_HOURS after pickup.
    CLAIM_WINDOW_CLOSED = "CLAIM_WINDOW_CLOSED"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"


class DomainError(Exception):
    """An expected failure of a use case; `field` is the input path it concerns.

    NO_CAPACITY and OUT_OF_STOCK also say, as data (DESIGN.md), what a client needs to offer
    something else: `leg_seq`, the leg that refused the load; `next_date`, the next service date
    with room for it (None when there is none within the outlook); `remaining`, the units still
    in stock. INSUFFICIENT_FUNDS says by `shortfall_fen` how much the wallet lacks."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        field: Sequence[str] | None = None,
        *,
        leg_seq: int | None = None,
        next_date: dt.date | None = None,
        remaining: int | None = None,
        shortfall_fen: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = list(field) if field else None
        self.leg_seq = leg_seq
        self.next_date = next_date
        self.remaining = remaining
        self.shortfall_fen = shortfall_fen


class DomainErrors(DomainError):
    """Several failures found at once (e.g. every line short of stock), reported together."""

    def __init__(self, errors: Sequence[DomainError]) -> None:
        super().__init__(errors[0].code, errors[0].message, errors[0].field)
        self.errors = list(errors)


def invalid(message: str, *field: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_INPUT, message, field or None)


def not_found(what: str, *field: str) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, f"{what} not found", field or None)


def not_allowed(message: str = "you are not allowed to do that") -> DomainError:
    return DomainError(ErrorCode.NOT_ALLOWED, message)
