"""Who may look a person up by id (`node(User:N)`).

An account's name, roles and station are personal: shown to the user themselves and to staff
(dispatchers, admins). Where a role makes someone a contact, their account is public: a station
leader (named on their station) and a driver (named on their trips). Anyone else gets nothing,
as for any hidden node. Users named inside a result the viewer may read (an order's buyer to the
station's leader, a listing's farmer) are shown there by that result's rule, not this one.
"""

from __future__ import annotations

from cungoods.models import User
from cungoods.models.enums import Role
from cungoods.services.auth import Viewer

PUBLIC_CONTACT_ROLES = frozenset({Role.LEADER, Role.DRIVER})


def may_see_user(viewer: Viewer | None, user: User) -> bool:
    """The user themselves, staff, or anyone when the user is a station leader or a driver."""
    if viewer is not None and (viewer.id == user.id or viewer.is_dispatcher):
        return True
    return any(Role(role) in PUBLIC_CONTACT_ROLES for role in user.roles)
