"""Accounts in the API: the User type, viewer, register, login, assignRole."""

from __future__ import annotations

from typing import TypeVar

import strawberry

from cungoods import models
from cungoods.api.context import Info
from cungoods.api.errors import UserError, attempt
from cungoods.api.ids import optional_pk, pk_of, to_global_id
from cungoods.api.node import Node, register_node
from cungoods.models.enums import Role as DomainRole
from cungoods.services import accounts

Role = strawberry.enum(DomainRole, name="Role", description="What a user may do.")


@strawberry.type(description="A person using cungoods: villager, farmer, leader, driver, staff.")
class User(Node):
    db_id: strawberry.Private[int]
    station_db_id: strawberry.Private[int | None]
    phone_visible: strawberry.Private[str | None]
    name: str = strawberry.field(description="Display name.")
    roles: list[Role] = strawberry.field(description="Roles held.")

    @strawberry.field(description="Phone number: shown to the user themselves and to staff.")
    def phone(self) -> str | None:
        return self.phone_visible

    @strawberry.field(description="A leader's station, or a villager's home station.")
    async def station(self, info: Info) -> Station | None:
        from cungoods.api.network import station_by_id

        if self.station_db_id is None:
            return None
        found: Station | None = await station_by_id(info, self.station_db_id)
        return found

    @classmethod
    def of(cls, user: models.User, info: Info) -> User:
        viewer = info.context.viewer
        sees_phone = viewer is not None and (viewer.id == user.id or viewer.is_dispatcher)
        return cls(
            id=strawberry.ID(to_global_id("User", user.id)),
            db_id=user.id,
            station_db_id=user.station_id,
            phone_visible=user.phone if sees_phone else None,
            name=user.name,
            roles=[DomainRole(role) for role in user.roles],
        )


async def user_by_id(info: Info, pk: int) -> User | None:
    user = await info.context.loaders.by_id(models.User).load(pk)
    return None if user is None else User.of(user, info)


register_node("User", user_by_id)


@strawberry.input(description="Open a BUYER or FARMER account.")
class RegisterInput:
    phone: str = strawberry.field(description="Mainland mobile number, 11 digits.")
    password: str = strawberry.field(description="At least 8 characters.")
    name: str = strawberry.field(description="Display name.")
    role: Role = strawberry.field(description="BUYER or FARMER.")
    station_id: strawberry.ID | None = strawberry.field(
        default=None, description="Home station (a farmer's handover station; required for FARMER)."
    )


@strawberry.input(description="Sign in.")
class LoginInput:
    phone: str = strawberry.field(description="The registered phone number.")
    password: str = strawberry.field(description="The password.")


@strawberry.type(description="A signed-in session: the bearer token and its user.")
class AuthPayload:
    token: str | None = strawberry.field(description="Send as `Authorization: Bearer <token>`.")
    user: User | None = strawberry.field(description="The signed-in user.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of register: a session for the new account.")
class RegisterPayload(AuthPayload):
    pass


@strawberry.type(description="The result of login: a session.")
class LoginPayload(AuthPayload):
    pass


@strawberry.input(description="Give a user a role (ADMIN only).")
class AssignRoleInput:
    user_id: strawberry.ID = strawberry.field(description="The user.")
    role: Role = strawberry.field(description="The role to add.")
    station_id: strawberry.ID | None = strawberry.field(
        default=None, description="The station, for LEADER."
    )


@strawberry.type(description="The result of assignRole.")
class AssignRolePayload:
    user: User | None = strawberry.field(description="The user with the new role.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The signed-in user, or null.")
    async def viewer(self, info: Info) -> User | None:
        viewer = info.context.viewer
        return None if viewer is None else await user_by_id(info, viewer.id)


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Open a BUYER or FARMER account; returns a token.")
    async def register(self, info: Info, input: RegisterInput) -> RegisterPayload:
        settings = info.context.settings

        async def run() -> accounts.SignedIn:
            return await accounts.register(
                phone=input.phone,
                password=input.password,
                name=input.name,
                role=DomainRole(input.role),
                station_id=optional_pk(input.station_id, "Station", "stationId"),
                secret=settings.signing_key,
                ttl_seconds=settings.token_ttl_seconds,
            )

        signed_in, errors = await attempt(run())
        return _auth_payload(RegisterPayload, signed_in, errors, info)

    @strawberry.mutation(description="Sign in with phone and password; returns a token.")
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        settings = info.context.settings
        signed_in, errors = await attempt(
            accounts.login(
                phone=input.phone,
                password=input.password,
                secret=settings.signing_key,
                ttl_seconds=settings.token_ttl_seconds,
                throttle=info.context.limits.login if info.context.limits else None,
            )
        )
        return _auth_payload(LoginPayload, signed_in, errors, info)

    @strawberry.mutation(description="Give a user a role (ADMIN only).")
    async def assign_role(self, info: Info, input: AssignRoleInput) -> AssignRolePayload:
        async def run() -> models.User:
            return await accounts.assign_role(
                viewer=info.context.viewer,
                user_id=pk_of(input.user_id, "User", "userId"),
                role=DomainRole(input.role),
                station_id=optional_pk(input.station_id, "Station", "stationId"),
            )

        user, errors = await attempt(run())
        return AssignRolePayload(user=None if user is None else User.of(user, info), errors=errors)


P = TypeVar("P", bound=AuthPayload)


def _auth_payload(
    payload: type[P], signed_in: accounts.SignedIn | None, errors: list[UserError], info: Info
) -> P:
    if signed_in is None:
        return payload(token=None, user=None, errors=errors)
    # The new session's user sees their own phone.
    user = User.of(signed_in.user, info)
    user.phone_visible = signed_in.user.phone
    return payload(token=signed_in.token, user=user, errors=[])


from cungoods.api.network import Station  # noqa: E402  (circular: Station shows its leader)
