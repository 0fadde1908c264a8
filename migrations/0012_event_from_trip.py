# Issue 14: event.from_trip_id, the trip a move took an order or purchase off, so the response
# cache judges a move by both trips it changed (a plain ADD COLUMN, nullable: no rebuild).
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0011_notifications_and_group_rules')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Event',
            name='from_trip_id',
            field=fields.IntField(null=True),
        ),
    ]
