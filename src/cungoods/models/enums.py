"""Enumerations shared by models, services and the API (plain Python, no GraphQL here)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    BUYER = "BUYER"
    FARMER = "FARMER"
    LEADER = "LEADER"
    DRIVER = "DRIVER"
    DISPATCHER = "DISPATCHER"
    ADMIN = "ADMIN"


class Temperature(StrEnum):
    AMBIENT = "AMBIENT"
    CHILLED = "CHILLED"
    FROZEN = "FROZEN"


class TripStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class Direction(StrEnum):
    DOWN = "DOWN"  # hub -> station: group-buy goods
    UP = "UP"  # station -> hub: farmers' produce


class ShipmentState(StrEnum):
    RESERVED = "RESERVED"
    RELEASED = "RELEASED"


class OrderStatus(StrEnum):
    PLACED = "PLACED"
    CONFIRMED = "CONFIRMED"
    LOADED = "LOADED"
    IN_TRANSIT = "IN_TRANSIT"
    AT_STATION = "AT_STATION"
    PICKED_UP = "PICKED_UP"
    CANCELLED = "CANCELLED"


class ListingStatus(StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


class RequestStatus(StrEnum):
    OPEN = "OPEN"
    FULFILLED = "FULFILLED"
    CLOSED = "CLOSED"


class OfferStatus(StrEnum):
    OPEN = "OPEN"
    ACCEPTED = "ACCEPTED"
    CLOSED = "CLOSED"


class PurchaseStatus(StrEnum):
    RESERVED = "RESERVED"  # bought; capacity reserved; waiting for the handover
    HANDED_OVER = "HANDED_OVER"  # the farmer handed it to the station leader
    IN_TRANSIT = "IN_TRANSIT"
    AT_HUB = "AT_HUB"
    COLLECTED = "COLLECTED"
    CANCELLED = "CANCELLED"
