"""The accounts mutations' results."""

from __future__ import annotations

import strawberry

from cungoods.api.accounts.types import User
from cungoods.api.errors import UserError


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


@strawberry.type(description="The result of assignRole.")
class AssignRolePayload:
    user: User | None = strawberry.field(description="The user with the new role.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")
