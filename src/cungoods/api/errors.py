"""Errors as the client sees them: UserErrors in mutation payloads, coded GraphQL errors from
queries, and a mask over everything unexpected."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

import strawberry
from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

from cungoods.db.errors import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, is_database_unavailable
from cungoods.db.errors import MESSAGE as DB_UNAVAILABLE_MESSAGE
from cungoods.observability import metrics
from cungoods.services.errors import DomainError, DomainErrors
from cungoods.services.errors import ErrorCode as DomainErrorCode

log = logging.getLogger("cungoods.errors")
T = TypeVar("T")

ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode", description="Why an action failed.")


@strawberry.type(description="An expected failure: a machine code, a message, the input field.")
class UserError:
    code: ErrorCode = strawberry.field(description="What went wrong, for programs.")
    message: str = strawberry.field(description="What went wrong, for people.")
    field: list[str] | None = strawberry.field(
        default=None, description="Path of the input field it concerns, if any."
    )


def user_errors(error: DomainError) -> list[UserError]:
    errors = error.errors if isinstance(error, DomainErrors) else [error]
    return [UserError(code=e.code, message=e.message, field=e.field) for e in errors]


async def attempt(action: Awaitable[T]) -> tuple[T | None, list[UserError]]:
    """Run a use case for a mutation payload: its result, or the UserErrors it failed with."""
    try:
        return await action, []
    except DomainError as error:
        errors = user_errors(error)
        metrics.count_errors((e.code.value for e in errors), source="payload")
        return None, errors


def _original(error: GraphQLError) -> BaseException | None:
    return error.original_error


class MaskUnexpectedErrors(MaskErrors):
    """Domain errors raised by queries keep their message and gain `extensions.code`; GraphQL's
    own errors (validation, bad variables) pass as they are; anything else is logged once and
    masked, so no traceback or internal detail reaches a client."""

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

    def _process_result(self, result: object) -> None:
        # Most results have no errors: skip strawberry's check, an isinstance against a runtime
        # Protocol that costs more than executing a small subscription event.
        if getattr(result, "errors", None):
            super()._process_result(result)

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
