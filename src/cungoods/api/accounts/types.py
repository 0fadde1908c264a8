"""The User type and how a user is found by id (the node registration)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from cungoods import models
from cungoods.api.context import Info
from cungoods.api.descriptions import graphql_enum
from cungoods.api.ids import to_global_id
from cungoods.api.money.wallet import Wallet
from cungoods.api.node import Node, node_of, register_node
from cungoods.api.scalars import Long
from cungoods.models.enums import Language as DomainLanguage
from cungoods.models.enums import Role as DomainRole
from cungoods.services import people
from cungoods.services.money import wallet as wallets

if TYPE_CHECKING:
    from cungoods.api.network.types import Station

# The domain enum itself is the GraphQL enum (api/descriptions.graphql_enum).
Role = DomainRole
graphql_enum(
    Role,
    name="Role",
    description="What a user may do.",
    values={
        Role.BUYER: "Orders group-buy goods and buys produce.",
        Role.FARMER: "Lists produce and makes offers on requests.",
        Role.LEADER: "Runs a pickup station: hands out orders, takes produce, tops up wallets.",
        Role.DRIVER: "Drives a route's bus and records its trip events.",
        Role.DISPATCHER: "Runs the hub: schedules, cutoffs, loading, claims, settlements.",
        Role.ADMIN: "Manages accounts and roles.",
    },
)
Language = DomainLanguage
graphql_enum(
    Language,
    name="Language",
    description="The language a person's notifications are written in.",
    values={
        Language.ZH: "Chinese (zh).",
        Language.EN: "English (en).",
    },
)


@strawberry.type(description="A person using cungoods: villager, farmer, leader, driver, staff.")
class User(Node):
    db_id: strawberry.Private[int]
    station_db_id: strawberry.Private[int | None]
    phone_visible: strawberry.Private[str | None]
    language_value: strawberry.Private[DomainLanguage]
    name: str = strawberry.field(description="Display name.")
    roles: list[Role] = strawberry.field(description="Roles held.")

    @strawberry.field(description="Phone number: shown to the user themselves and to staff.")
    def phone(self) -> str | None:
        return self.phone_visible

    @strawberry.field(
        description="The language their notifications are written in: shown to the user "
        "themselves and to staff."
    )
    def language(self) -> Language | None:
        return None if self.phone_visible is None else self.language_value

    @strawberry.field(description="A leader's station, or a villager's home station.")
    async def station(
        self, info: Info
    ) -> Annotated[Station, strawberry.lazy("cungoods.api.network.types")] | None:
        if self.station_db_id is None:
            return None
        # network/ builds on this module (a station shows its leader): its Station comes by name.
        station: Station | None = await node_of(info, "Station", self.station_db_id)
        return station

    @strawberry.field(
        description="The user's prepaid wallet: shown to the user themselves only (null for "
        "anyone else)."
    )
    async def wallet(self, info: Info) -> Wallet | None:
        balance = await wallets.wallet_balance(viewer=info.context.viewer, user_id=self.db_id)
        if balance is None:
            return None
        return Wallet(balance_fen=Long(balance))

    @classmethod
    def of(cls, user: models.User, info: Info) -> User:
        viewer = info.context.viewer
        sees_phone = viewer is not None and (viewer.id == user.id or viewer.is_dispatcher)
        return cls(
            id=strawberry.ID(to_global_id("User", user.id)),
            db_id=user.id,
            station_db_id=user.station_id,
            phone_visible=user.phone if sees_phone else None,
            language_value=DomainLanguage(user.language),
            name=user.name,
            roles=[DomainRole(role) for role in user.roles],
        )


async def user_by_id(info: Info, pk: int) -> User | None:
    user = await info.context.loaders.by_id(models.User).load(pk)
    return None if user is None else User.of(user, info)


async def user_node(info: Info, pk: int) -> User | None:
    """`node(User:N)`: only for whom services/people.may_see_user allows, else null."""
    user = await info.context.loaders.by_id(models.User).load(pk)
    if user is None or not people.may_see_user(info.context.viewer, user):
        return None
    return User.of(user, info)


register_node("User", user_node)
