from tortoise import migrations
from tortoise.migrations import operations as ops
from cungoods.models.enums import PaymentKind, PaymentState, StatementParty
from tortoise.fields.base import OnDelete
from tortoise import fields

# Payments through the provider, commission rates and settlement statements (issue 12).
class Migration(migrations.Migration):
    dependencies = [('models', '0003_money_ledger')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CommissionRate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('category', fields.CharField(unique=True, max_length=32)),
                ('rate_bp', fields.IntField()),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'commission_rate', 'app': 'models', 'pk_attr': 'id', 'table_description': "The leader's commission on a product category, in basis points of the line's price"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Payment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='CHARGE: CHARGE\nREFUND: REFUND', enum_type=PaymentKind, max_length=8)),
                ('state', fields.CharEnumField(default=PaymentState.PENDING, description='PENDING: PENDING\nSUCCEEDED: SUCCEEDED\nEXPIRED: EXPIRED', enum_type=PaymentState, max_length=12)),
                ('buyer', fields.ForeignKeyField('models.User', source_field='buyer_id', db_index=True, db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.RESTRICT)),
                ('order_id', fields.IntField(null=True, db_index=True)),
                ('purchase_id', fields.IntField(null=True, db_index=True)),
                ('amount_fen', fields.BigIntField()),
                ('idempotency_key', fields.CharField(null=True, max_length=100)),
                ('provider_txn_id', fields.CharField(null=True, unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('settled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A payment through the provider: a charge the buyer makes for an order or a purchase, or a'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Statement',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('party', fields.CharEnumField(description='LEADER: LEADER\nFARMER: FARMER', enum_type=StatementParty, max_length=8)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_index=True, db_constraint=True, to_field='id', related_name='statements', on_delete=OnDelete.RESTRICT)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_index=True, db_constraint=True, to_field='id', related_name='statements', on_delete=OnDelete.RESTRICT)),
                ('period_from', fields.DateField()),
                ('period_to', fields.DateField()),
                ('opening_fen', fields.BigIntField()),
                ('credits_fen', fields.BigIntField()),
                ('debits_fen', fields.BigIntField()),
                ('due_fen', fields.BigIntField()),
                ('first_entry_id', fields.IntField(null=True)),
                ('last_entry_id', fields.IntField(null=True)),
                ('paid_out_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('payout_reference', fields.CharField(null=True, max_length=100)),
                ('payout_transaction_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'statement', 'app': 'models', 'unique_together': (('account', 'period_from', 'period_to'),), 'pk_attr': 'id', 'table_description': 'What a leader or a farmer earned in a period: the opening balance of their account, the'},
            bases=['Model'],
        ),
    ]
