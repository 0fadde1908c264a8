from tortoise import migrations
from tortoise.migrations import operations as ops
from cungoods.models.enums import PayWith, PaymentStatus
from tortoise import fields

# What an order and a produce purchase cost and where their money stands (issue 12). Database
# defaults, so rows from before the money existed get them (and count as paid).
class Migration(migrations.Migration):
    dependencies = [('models', '0004_payments_commission_statements')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Order',
            name='paid_fen',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Order',
            name='pay_by',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Order',
            name='pay_with',
            field=fields.CharEnumField(default=PayWith.BALANCE, description='BALANCE: BALANCE\nPROVIDER: PROVIDER', db_default='BALANCE', enum_type=PayWith, max_length=8),
        ),
        ops.AddField(
            model_name='Order',
            name='payment_status',
            field=fields.CharEnumField(default=PaymentStatus.PAID, description='UNPAID: UNPAID\nPAID: PAID\nREFUNDED: REFUNDED\nPARTLY_REFUNDED: PARTLY_REFUNDED', db_default='PAID', enum_type=PaymentStatus, max_length=16),
        ),
        ops.AddField(
            model_name='Order',
            name='refunded_fen',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='ProducePurchase',
            name='paid_fen',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='ProducePurchase',
            name='pay_by',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ProducePurchase',
            name='pay_with',
            field=fields.CharEnumField(default=PayWith.BALANCE, description='BALANCE: BALANCE\nPROVIDER: PROVIDER', db_default='BALANCE', enum_type=PayWith, max_length=8),
        ),
        ops.AddField(
            model_name='ProducePurchase',
            name='payment_status',
            field=fields.CharEnumField(default=PaymentStatus.PAID, description='UNPAID: UNPAID\nPAID: PAID\nREFUNDED: REFUNDED\nPARTLY_REFUNDED: PARTLY_REFUNDED', db_default='PAID', enum_type=PaymentStatus, max_length=16),
        ),
        ops.AddField(
            model_name='ProducePurchase',
            name='refunded_fen',
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
