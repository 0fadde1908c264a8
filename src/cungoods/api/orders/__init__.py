"""Orders in the API: Order and its lines and history, myOrders, order, capacityOutlook, and the
placeOrder, cancelOrder and confirmPickup mutations."""
