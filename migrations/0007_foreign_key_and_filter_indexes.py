# Indexes for every foreign key that had none, and for the columns the hot queries filter on
# (issue 14): with 1.6 million order lines, a manifest read without order_line(order_id) took
# 150 ms instead of 60, and grew with every day of history. PostgreSQL indexes neither side of a
# foreign key by itself (only the referenced primary key). tests/test_indexes.py fails when a
# foreign key of the PostgreSQL schema has no index whose leading columns are its own.
# They are declared as Meta.indexes, not as db_index=True on the fields: on SQLite Tortoise's
# AlterField rebuilds the table (as AddConstraint does, see 0002), while AddIndex is a plain
# CREATE INDEX on both databases.
from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0006_search_indexes")]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="Event",
            index=Index(fields=["order_id", "id"]),
        ),
        ops.AddIndex(
            model_name="Event",
            index=Index(fields=["purchase_id", "id"]),
        ),
        ops.AddIndex(
            model_name="EventTopic",
            index=Index(fields=["event_id"]),
        ),
        ops.AddIndex(
            model_name="LedgerTransaction",
            index=Index(fields=["created_at"]),
        ),
        ops.AddIndex(
            model_name="Order",
            index=Index(fields=["window_id", "status"]),
        ),
        ops.AddIndex(
            model_name="Order",
            index=Index(fields=["status", "pay_by"]),
        ),
        ops.AddIndex(
            model_name="Order",
            index=Index(fields=["station_id"]),
        ),
        ops.AddIndex(
            model_name="Order",
            index=Index(fields=["shipment_id"]),
        ),
        ops.AddIndex(
            model_name="OrderLine",
            index=Index(fields=["order_id"]),
        ),
        ops.AddIndex(
            model_name="OrderLine",
            index=Index(fields=["sale_item_id"]),
        ),
        ops.AddIndex(
            model_name="ProduceListing",
            index=Index(fields=["farmer_id"]),
        ),
        ops.AddIndex(
            model_name="ProduceListing",
            index=Index(fields=["station_id"]),
        ),
        ops.AddIndex(
            model_name="ProduceListing",
            index=Index(fields=["status", "ready_until"]),
        ),
        ops.AddIndex(
            model_name="ProduceOffer",
            index=Index(fields=["request_id"]),
        ),
        ops.AddIndex(
            model_name="ProduceOffer",
            index=Index(fields=["farmer_id"]),
        ),
        ops.AddIndex(
            model_name="ProduceOffer",
            index=Index(fields=["listing_id"]),
        ),
        ops.AddIndex(
            model_name="ProducePurchase",
            index=Index(fields=["status", "pay_by"]),
        ),
        ops.AddIndex(
            model_name="ProducePurchase",
            index=Index(fields=["listing_id"]),
        ),
        ops.AddIndex(
            model_name="ProducePurchase",
            index=Index(fields=["offer_id"]),
        ),
        ops.AddIndex(
            model_name="ProducePurchase",
            index=Index(fields=["station_id"]),
        ),
        ops.AddIndex(
            model_name="ProducePurchase",
            index=Index(fields=["shipment_id"]),
        ),
        ops.AddIndex(
            model_name="ProduceRequest",
            index=Index(fields=["buyer_id"]),
        ),
        ops.AddIndex(
            model_name="ProduceRequest",
            index=Index(fields=["status", "needed_by"]),
        ),
        ops.AddIndex(
            model_name="Route",
            index=Index(fields=["hub_id"]),
        ),
        ops.AddIndex(
            model_name="Route",
            index=Index(fields=["vehicle_id"]),
        ),
        ops.AddIndex(
            model_name="Route",
            index=Index(fields=["driver_id"]),
        ),
        ops.AddIndex(
            model_name="RouteStop",
            index=Index(fields=["station_id"]),
        ),
        ops.AddIndex(
            model_name="SaleItem",
            index=Index(fields=["product_id"]),
        ),
        ops.AddIndex(
            model_name="Trip",
            index=Index(fields=["vehicle_id", "service_date"]),
        ),
        ops.AddIndex(
            model_name="Trip",
            index=Index(fields=["driver_id"]),
        ),
        ops.AddIndex(
            model_name="TripStop",
            index=Index(fields=["station_id"]),
        ),
        ops.AddIndex(
            model_name="User",
            index=Index(fields=["station_id"]),
        ),
    ]
