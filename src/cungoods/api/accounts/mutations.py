"""The accounts mutations: register, login, assignRole."""

from __future__ import annotations

import strawberry

from cungoods.api.accounts.inputs import AssignRoleInput, LoginInput, RegisterInput
from cungoods.api.accounts.payloads import AssignRolePayload, LoginPayload, RegisterPayload
from cungoods.api.accounts.types import User
from cungoods.api.context import Info
from cungoods.api.errors import mutation_payload
from cungoods.api.ids import optional_pk, pk_of
from cungoods.models.enums import Role as DomainRole
from cungoods.services import accounts


def _session_user(signed_in: accounts.SignedIn, info: Info) -> User:
    user = User.of(signed_in.user, info)
    user.phone_visible = signed_in.user.phone  # the new session's user sees their own phone
    return user


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Open a BUYER or FARMER account; returns a token.")
    async def register(self, info: Info, input: RegisterInput) -> RegisterPayload:
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
            ),
            token=lambda signed_in: signed_in.token,
            user=lambda signed_in: _session_user(signed_in, info),
        )

    @strawberry.mutation(description="Sign in with phone and password; returns a token.")
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        settings = info.context.settings
        return await mutation_payload(
            LoginPayload,
            lambda: accounts.login(
                phone=input.phone,
                password=input.password,
                secret=settings.signing_key,
                ttl_seconds=settings.token_ttl_seconds,
                throttle=info.context.limits.login if info.context.limits else None,
            ),
            token=lambda signed_in: signed_in.token,
            user=lambda signed_in: _session_user(signed_in, info),
        )

    @strawberry.mutation(description="Give a user a role (ADMIN only).")
    async def assign_role(self, info: Info, input: AssignRoleInput) -> AssignRolePayload:
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
