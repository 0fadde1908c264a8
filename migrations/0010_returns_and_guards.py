# Issue 13: orders never picked up go back to the hub (OrderStatus.RETURNED; the AlterField only
# records the new choice in the column description), and produce waiting at the hub past the
# grace period is flagged once (overdue_at). No produce_listing rebuild (see 0008).
from tortoise import migrations
from tortoise.migrations import operations as ops
from cungoods.models.enums import OrderStatus
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_shortages_and_claims')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Order',
            name='status',
            field=fields.CharEnumField(default=OrderStatus.PLACED, description='PLACED: PLACED\nCONFIRMED: CONFIRMED\nLOADED: LOADED\nIN_TRANSIT: IN_TRANSIT\nAT_STATION: AT_STATION\nPICKED_UP: PICKED_UP\nCANCELLED: CANCELLED\nRETURNED: RETURNED', enum_type=OrderStatus, max_length=16),
        ),
        ops.AddField(
            model_name='ProducePurchase',
            name='overdue_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
