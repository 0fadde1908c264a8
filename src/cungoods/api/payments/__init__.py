"""Paying for orders and produce purchases: the enums, startPayment and the payment type."""
