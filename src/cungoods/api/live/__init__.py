"""Live delivery status in the API: DeliveryEvent and the subscriptions."""
