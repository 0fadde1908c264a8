from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import CheckConstraint

# Tortoise's CreateModel leaves CHECK constraints out, so they are added here. On SQLite adding a
# constraint rebuilds the table and drops its unique_together constraints, so the RunSQL at the
# end restores them as unique indexes (harmless duplicates on PostgreSQL).
class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.AddConstraint(
            model_name='Leg',
            constraint=CheckConstraint(check='used_g >= 0 AND used_g <= capacity_g', name='leg_weight_within_capacity'),
        ),
        ops.AddConstraint(
            model_name='Leg',
            constraint=CheckConstraint(check='used_cm3 >= 0 AND used_cm3 <= capacity_cm3', name='leg_volume_within_capacity'),
        ),
        ops.AddConstraint(
            model_name='Leg',
            constraint=CheckConstraint(check='used_chilled_g >= 0 AND used_chilled_g <= chilled_capacity_g', name='leg_chilled_within_capacity'),
        ),
        ops.AddConstraint(
            model_name='Leg',
            constraint=CheckConstraint(check='down_g >= 0 AND down_g <= used_g AND down_cm3 >= 0 AND down_cm3 <= used_cm3 AND down_chilled_g >= 0 AND down_chilled_g <= used_chilled_g', name='leg_down_within_used'),
        ),
        ops.AddConstraint(
            model_name='ProduceListing',
            constraint=CheckConstraint(check='sold >= 0 AND sold <= quantity', name='listing_sold_within_quantity'),
        ),
        ops.AddConstraint(
            model_name='SaleItem',
            constraint=CheckConstraint(check='sold >= 0 AND sold <= stock', name='sale_item_sold_within_stock'),
        ),
        ops.RunSQL(
            [
                'CREATE UNIQUE INDEX IF NOT EXISTS "leg_trip_seq_uniq" ON "leg" ("trip_id", "seq")',
                'CREATE UNIQUE INDEX IF NOT EXISTS "sale_item_window_product_uniq" '
                'ON "sale_item" ("window_id", "product_id")',
            ]
        ),
    ]
