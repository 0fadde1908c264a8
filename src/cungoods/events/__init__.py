"""The outbox and the broker: status changes become Event rows, then reach subscribers."""
