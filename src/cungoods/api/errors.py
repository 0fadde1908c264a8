"""Errors as the client sees them: UserErrors in mutation payloads, coded GraphQL errors from
queries, and a mask over everything unexpected."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import strawberry
from graphql.error import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types.base import StrawberryList, StrawberryOptional, has_object_definition

from cungoods.api.descriptions import graphql_enum
from cungoods.api.extensions.hooks import CachedHooksRunner
from cungoods.db.errors import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, is_database_unavailable
from cungoods.db.errors import MESSAGE as DB_UNAVAILABLE_MESSAGE
from cungoods.observability import metrics
from cungoods.services.errors import DomainError, DomainErrors
from cungoods.services.errors import ErrorCode as DomainErrorCode

log = logging.getLogger("cungoods.errors")
T = TypeVar("T")
P = TypeVar("P")

ErrorCode = DomainErrorCode
graphql_enum(
    ErrorCode,
    name="ErrorCode",
    description="Why an action failed: in a mutation payload's `UserError.code`, and as "
    "`extensions.code` of a GraphQL error from a query or subscription. docs/API.md, "
    '"Errors", says what a client does about each.',
    values={
        ErrorCode.INVALID_INPUT: "An input value is malformed or out of range (`field` names it): "
        "a bad id or cursor, a date out of range, text too long, a page size over the maximum. "
        "Fix the input; sent again unchanged it fails again.",
        ErrorCode.NOT_FOUND: "The object named (by id, number or code) does not exist.",
        ErrorCode.UNAUTHENTICATED: "The action needs a signed-in viewer and there is none (no "
        "token, or one that is bad or expired): sign in, then retry.",
        ErrorCode.NOT_ALLOWED: "The viewer is signed in but may not do this (a role, a station "
        "or an ownership is missing); retrying as the same viewer fails again.",
        ErrorCode.NO_CAPACITY: "The bus has no room for the load on a leg of the trip (`legSeq` "
        "says which leg, `nextDate` the next service date with room): offer that date or less.",
        ErrorCode.OUT_OF_STOCK: "Fewer units are left than asked for (`remaining` says how "
        "many; 0: sold out).",
        ErrorCode.CUTOFF_PASSED: "The sale window's cutoff has passed: that service date takes "
        "no more orders or changes.",
        ErrorCode.STATION_NOT_SERVED: "No bus route stops at the station, so nothing can be "
        "delivered to or collected from it.",
        ErrorCode.WRONG_CODE: "The pickup or collect code does not match; after 5 wrong pickup "
        "codes the order is locked until its station leader or a dispatcher unlocks it "
        "(`unlockPickupCode`).",
        ErrorCode.INVALID_STATE: "The object is not in a state that allows this (an order "
        "already picked up, a trip already departed, a claim already decided): read it again.",
        ErrorCode.IDEMPOTENCY_KEY_REUSED: "This idempotency key was used before with other "
        "input: a new action needs a new key.",
        ErrorCode.RATE_LIMITED: "Too many attempts from this viewer or address: retry after the "
        "seconds the message gives (HTTP `Retry-After`).",
        ErrorCode.ALREADY_EXISTS: "It exists already: a phone number registered, an arrival "
        "confirmed, an open claim on the order line.",
        ErrorCode.INSUFFICIENT_FUNDS: "The wallet lacks money for this (`shortfallFen` says how "
        "much): top up at the station, or pay with PROVIDER.",
        ErrorCode.CLAIM_WINDOW_CLOSED: "An after-sale claim came later than "
        "CUNGOODS_CLAIM_HOURS after the order's pickup.",
        ErrorCode.LIMIT_EXCEEDED: "The buyer would hold more of the item than its `maxPerBuyer` "
        "allows (`remaining`: the units still allowed).",
    },
)


@strawberry.type(
    description="An expected failure: a machine code, a message, the input field. "
    "A value type (no id): client caches keep it inside the object that holds it."
)
class UserError:
    code: ErrorCode = strawberry.field(description="What went wrong, for programs.")
    message: str = strawberry.field(description="What went wrong, for people.")
    field: list[str] | None = strawberry.field(
        default=None, description="Path of the input field it concerns, if any."
    )
    leg_seq: int | None = strawberry.field(
        default=None,
        description="For NO_CAPACITY: the leg of the trip that refused the load (from stop "
        "legSeq to legSeq + 1).",
    )
    next_date: dt.date | None = strawberry.field(
        default=None,
        description="For NO_CAPACITY: the next service date with room for the load (null when "
        "no date within the outlook has room).",
    )
    remaining: int | None = strawberry.field(
        default=None,
        description="For OUT_OF_STOCK: the units still in stock; for LIMIT_EXCEEDED: the units "
        "the buyer may still order.",
    )
    shortfall_fen: int | None = strawberry.field(
        default=None,
        description="For INSUFFICIENT_FUNDS: how many fen the wallet lacks (top up at least "
        "this much).",
    )


def user_errors(error: DomainError) -> list[UserError]:
    errors = error.errors if isinstance(error, DomainErrors) else [error]
    return [
        UserError(
            code=e.code,
            message=e.message,
            field=e.field,
            leg_seq=e.leg_seq,
            next_date=e.next_date,
            remaining=e.remaining,
            shortfall_fen=e.shortfall_fen,
        )
        for e in errors
    ]


async def mutation_payload(
    payload_type: type[P], action: Callable[[], Awaitable[T]], /, **present: Callable[[T], Any]
) -> P:
    """A mutation's payload: `action()` (a zero-argument coroutine function: the use case, with
    the input read inside it, so a malformed id is a UserError too) and, for each result field
    named, its presenter applied to the result, e.g.
    `mutation_payload(PlaceOrderPayload, run, order=lambda o: Order.of(o, info))`.
    When the use case fails the result fields are empty (null, or [] for a list) and `errors`
    says why."""
    try:
        result = await action()
    except DomainError as error:
        errors = user_errors(error)
        metrics.count_errors((e.code.value for e in errors), source="payload")
    else:
        make: Callable[..., P] = payload_type
        return make(**{name: show(result) for name, show in present.items()}, errors=[])
    failed: P | None = payload_with_errors(payload_type, errors)
    if failed is None:
        raise TypeError(f"{payload_type.__name__} has a result field that cannot be empty")
    return failed


def payload_with_errors(payload_type: Any, errors: list[UserError]) -> Any:
    """An instance of a mutation payload type with `errors` and every other field empty, or None
    if the type has a field that cannot be empty."""
    if not has_object_definition(payload_type):
        return None
    values: dict[str, Any] = {}
    for field in payload_type.__strawberry_definition__.fields:
        if field.base_resolver is not None or field.python_name is None:
            continue  # computed fields take no constructor argument
        if field.python_name == "errors":
            values["errors"] = errors
        elif isinstance(field.type, StrawberryOptional):
            values[field.python_name] = None
        elif isinstance(field.type, StrawberryList):
            values[field.python_name] = []
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            return None
    if "errors" not in values:
        return None
    try:
        return payload_type(**values)
    except TypeError:  # e.g. a private attribute without a default
        return None


def _original(error: GraphQLError) -> BaseException | None:
    return error.original_error


# The codes of request errors (nothing ran), as Apollo Server names the first two: the
# document does not parse (a syntax error, or more than CUNGOODS_MAX_TOKENS tokens), or does not
# validate (the spec's rules, the depth and alias limits). A variable that does not coerce is
# INVALID_INPUT, the code every other refused input has (Apollo says BAD_USER_INPUT). A rule with
# a code of its own keeps it (QUERY_TOO_COSTLY, INVALID_INPUT for a NUL in a string).
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


class MaskUnexpectedErrors(MaskErrors):
    """Errors as the client gets them, over HTTP and WebSocket alike. Domain errors raised by
    queries keep their message and gain `extensions.code`; request errors (parse, validation,
    variable coercion) gain theirs (PARSE_FAILED, VALIDATION_FAILED, INVALID_INPUT); anything
    else is logged once and masked, so no traceback or internal detail reaches a client."""

    validation_failed = False

    def __init__(self) -> None:
        super().__init__(should_mask_error=self._should_mask, error_message="Unexpected error.")

    def _should_mask(self, error: GraphQLError) -> bool:
        original = _original(error)
        if original is None:
            return False
        if isinstance(original, DomainError):
            error.extensions = {**(error.extensions or {}), "code": original.code.value}
            return False
        if isinstance(original, GraphQLError):
            return False
        if is_database_unavailable(original):
            # Not a bug: answered DATABASE_UNAVAILABLE (anonymise_error), logged without a
            # traceback, since an outage fails every request alike.
            log.warning("database unavailable in %s: %r", error.path, original)
            metrics.count_errors([DATABASE_UNAVAILABLE], source="graphql")
            return True
        log.error("unexpected error in %s", error.path, exc_info=original)
        metrics.UNEXPECTED_ERRORS.inc()
        return True

    def on_validate(self) -> Iterator[None]:
        yield
        # Request errors without a path are validation errors when validation reported any,
        # else (the document was valid) the variables' coercion errors.
        self.validation_failed = bool(self.execution_context.pre_execution_errors)

    def _process_result(self, result: object) -> None:
        # Most results have no errors: skip strawberry's check, an isinstance against a runtime
        # Protocol that costs more than executing a small subscription event.
        errors: list[GraphQLError] | None = getattr(result, "errors", None)
        if errors:
            for error in errors:
                self._code_request_error(error)
            super()._process_result(result)

    def _code_request_error(self, error: GraphQLError) -> None:
        """`extensions.code` for an error of the request itself, unless it has one."""
        if error.path is not None or (error.extensions or {}).get("code"):
            return
        if isinstance(error, GraphQLSyntaxError):
            code = PARSE_FAILED
        elif not isinstance(error.original_error, GraphQLError | None):
            return  # an exception, not GraphQL's own error: masked as INTERNAL
        elif self.validation_failed:
            code = VALIDATION_FAILED
        else:
            code = DomainErrorCode.INVALID_INPUT.value
        error.extensions = {**(error.extensions or {}), "code": code}

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        if is_database_unavailable(_original(error)):
            masked.message = DB_UNAVAILABLE_MESSAGE
            masked.extensions = {"code": DATABASE_UNAVAILABLE, "retryAfter": RETRY_AFTER_SECONDS}
            return masked
        masked.extensions = {"code": "INTERNAL"}
        return masked


class Schema(strawberry.Schema):
    """strawberry's Schema without its own logging of every error: expected failures are not
    news, and MaskUnexpectedErrors logs each unexpected one once, with the request id."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        return None

    def create_extensions_runner(
        self, execution_context: Any, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        # The hooks of each extension class looked up once (api/extensions/hooks.py).
        return CachedHooksRunner(execution_context=execution_context, extensions=extensions)
