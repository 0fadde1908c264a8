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
    # Never picked up within the grace period: back to the hub on the next bus, then refunded.
    RETURNED = "RETURNED"


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


class AccountKind(StrEnum):
    """Whose money an account holds. A balance is what the account holds: a transfer from A to
    B is -x on A and +x on B, and money that enters or leaves the county's books does so
    through an outside account (the provider's clearing, the leaders' cash, payouts)."""

    BUYER_WALLET = "BUYER_WALLET"  # a buyer's prepaid balance; never below 0
    LEADER_COMMISSION = "LEADER_COMMISSION"  # earned by a leader, owed to them until paid out
    LEADER_CASH = "LEADER_CASH"  # cash a leader took for top-ups: below 0 = owed to the hub
    FARMER_PAYABLE = "FARMER_PAYABLE"  # owed to a farmer for produce collected, until paid out
    PLATFORM_REVENUE = "PLATFORM_REVENUE"  # the platform's takings: sales, fees
    PRODUCE_HELD = "PRODUCE_HELD"  # buyers' money for produce, held until collection
    PAYMENTS_CLEARING = "PAYMENTS_CLEARING"  # the payment provider: below 0 = it holds our money
    REFUNDS = "REFUNDS"  # provider refunds sent out, awaiting the provider's confirmation
    PAYOUTS = "PAYOUTS"  # transfers made to leaders and farmers


class LedgerKind(StrEnum):
    """What a ledger transaction was for."""

    TOP_UP = "TOP_UP"
    PAYMENT = "PAYMENT"
    REFUND = "REFUND"
    COMMISSION = "COMMISSION"
    COMMISSION_REVERSAL = "COMMISSION_REVERSAL"
    FARMER_CREDIT = "FARMER_CREDIT"
    PAYOUT = "PAYOUT"


class PayWith(StrEnum):
    BALANCE = "BALANCE"  # from the buyer's wallet, in the same transaction as the order
    PROVIDER = "PROVIDER"  # through the payment provider; the order waits UNPAID meanwhile


class PaymentStatus(StrEnum):
    """Where an order's or a purchase's money stands."""

    UNPAID = "UNPAID"
    PAID = "PAID"
    REFUNDED = "REFUNDED"
    PARTLY_REFUNDED = "PARTLY_REFUNDED"


class PaymentKind(StrEnum):
    CHARGE = "CHARGE"  # the buyer pays through the provider
    REFUND = "REFUND"  # the provider gives money back to the buyer


class PaymentState(StrEnum):
    PENDING = "PENDING"  # waiting for the provider's signed notification
    SUCCEEDED = "SUCCEEDED"
    EXPIRED = "EXPIRED"  # never paid in time: the order was released


class StatementParty(StrEnum):
    LEADER = "LEADER"
    FARMER = "FARMER"


class ClaimKind(StrEnum):
    """What a claim is about."""

    ARRIVAL = "ARRIVAL"  # missing or damaged at the station's arrival check: against the hub
    AFTER_SALE = "AFTER_SALE"  # the buyer's, after pickup (售后)


class ClaimStatus(StrEnum):
    FILED = "FILED"  # waiting for a dispatcher
    APPROVED = "APPROVED"  # refunded (an arrival claim is approved when it is recorded)
    REJECTED = "REJECTED"  # no money moved


class Language(StrEnum):
    ZH = "zh"
    EN = "en"


class SmsState(StrEnum):
    """Where a notification's text message stands (services/notify_sender.py)."""

    OFF = "OFF"  # no SMS: none configured when it was written
    PENDING = "PENDING"  # to be sent (again, after a failure, at sms_next_at)
    SENDING = "SENDING"  # claimed by one sender; nobody else sends it
    SENT = "SENT"
    FAILED = "FAILED"  # given up after the last attempt
