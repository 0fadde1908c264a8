"""Tortoise models, one module per domain area; this package is the Tortoise app "models"."""

from cungoods.models.accounts import User
from cungoods.models.catalog import Product, SaleItem, SaleWindow
from cungoods.models.claims import ArrivalCheck, Claim, ClaimLine
from cungoods.models.events import Event, EventTopic
from cungoods.models.idempotency import IdempotencyKey
from cungoods.models.money import (
    Account,
    CommissionRate,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    Statement,
)
from cungoods.models.network import Hub, Leg, Route, RouteStop, Station, Trip, TripStop, Vehicle
from cungoods.models.notifications import Notification
from cungoods.models.orders import Order, OrderLine
from cungoods.models.produce import ProduceListing, ProduceOffer, ProducePurchase, ProduceRequest
from cungoods.models.shipping import Shipment

__all__ = [
    "Account",
    "ArrivalCheck",
    "Claim",
    "ClaimLine",
    "CommissionRate",
    "Event",
    "EventTopic",
    "Hub",
    "IdempotencyKey",
    "LedgerEntry",
    "LedgerTransaction",
    "Leg",
    "Notification",
    "Order",
    "OrderLine",
    "Payment",
    "ProduceListing",
    "ProduceOffer",
    "ProducePurchase",
    "ProduceRequest",
    "Product",
    "Route",
    "RouteStop",
    "SaleItem",
    "SaleWindow",
    "Shipment",
    "Station",
    "Statement",
    "Trip",
    "TripStop",
    "User",
    "Vehicle",
]
