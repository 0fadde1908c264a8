"""The accounts mutations: register, login, assignRole."""

from __future__ import annotations

import strawberry
from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode

from cungoods.api.accounts.inputs import AssignRoleInput, LoginInput, RegisterInput
from cungoods.api.accounts.payloads import AssignRolePayload, LoginPayload, RegisterPayload
from cungoods.api.accounts.types import User
from cungoods.api.context import Info
from cungoods.api.descriptions import MutationInput
from cungoods.api.errors import UserError, mutation_payload, payload_with_errors
from cungoods.api.extensions.throttle import client_address
from cungoods.api.ids import optional_pk, pk_of
from cungoods.models.enums import Role as DomainRole
from cungoods.services import accounts
from cungoods.services.errors import ErrorCode

# Each login verifies a password (about 150 ms of CPU in the hashing pool): one request may ask
# for a few, not for the alias limit's worth.
MAX_LOGINS_PER_OPERATION = 3


def _session_user(signed_in: accounts.SignedIn, info: Info) -> User:
    user = User.of(signed_in.user, info)
    user.phone_visible = signed_in.user.phone  # the new session's user sees their own phone
    return user


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Open a BUYER or FARMER account; returns a token.")
    async def register(self, info: Info, input: MutationInput[RegisterInput]) -> RegisterPayload:
        settings = info.context.settings
        return await mutation_payload(
            RegisterPayload,
            lambda: accounts.register(
                phone=input.phone,
                password=input.password,
                name=input.name,
                role=DomainRole(input.role),
                station_id=optional_pk(input.station_id, "Station", "stationId"),
                secret=settings.signing_key,
                ttl_seconds=settings.token_ttl_seconds,
                language=input.language,
            ),
            token=lambda signed_in: signed_in.token,
            user=lambda signed_in: _session_user(signed_in, info),
        )

    @strawberry.mutation(
        description="Sign in with phone and password; returns a token. At most "
        f"{MAX_LOGINS_PER_OPERATION} `login` fields in one request: with more, each is "
        "refused (INVALID_INPUT)."
    )
    async def login(self, info: Info, input: MutationInput[LoginInput]) -> LoginPayload:
        settings = info.context.settings
        if _login_fields(info) > MAX_LOGINS_PER_OPERATION:
            refused = UserError(
                code=ErrorCode.INVALID_INPUT,
                message=f"at most {MAX_LOGINS_PER_OPERATION} login fields in one request",
            )
            payload = payload_with_errors(LoginPayload, [refused])
            assert payload is not None  # LoginPayload's result fields are optional
            return payload
        return await mutation_payload(
            LoginPayload,
            lambda: accounts.login(
                phone=input.phone,
                password=input.password,
                secret=settings.signing_key,
                ttl_seconds=settings.token_ttl_seconds,
                address=client_address(info.context.request),
                throttle=info.context.limits.login if info.context.limits else None,
            ),
            token=lambda signed_in: signed_in.token,
            user=lambda signed_in: _session_user(signed_in, info),
        )

    @strawberry.mutation(description="Give a user a role (ADMIN only).")
    async def assign_role(
        self, info: Info, input: MutationInput[AssignRoleInput]
    ) -> AssignRolePayload:
        return await mutation_payload(
            AssignRolePayload,
            lambda: accounts.assign_role(
                viewer=info.context.viewer,
                user_id=pk_of(input.user_id, "User", "userId"),
                role=DomainRole(input.role),
                station_id=optional_pk(input.station_id, "Station", "stationId"),
            ),
            user=lambda user: User.of(user, info),
        )


def _login_fields(info: Info) -> int:
    """How many `login` fields the operation asks for at its root (through fragments too)."""

    def count(selections: SelectionSetNode | None, seen: frozenset[str]) -> int:
        total = 0
        for selection in selections.selections if selections else ():
            if isinstance(selection, FieldNode):
                total += selection.name.value == "login"
            elif isinstance(selection, InlineFragmentNode):
                total += count(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = info._raw_info.fragments.get(name)  # strawberry has no public one
                if fragment is not None and name not in seen:
                    total += count(fragment.selection_set, seen | {name})
        return total

    return count(info.operation.selection_set, frozenset())
