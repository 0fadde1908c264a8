from tortoise import migrations
from tortoise.migrations import operations as ops
from cungoods.models.enums import AccountKind, LedgerKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint


# The ledger (issue 12). CreateModel leaves CHECK constraints out, so the floor of an account's
# balance (a wallet never below 0) is added after it, as in 0002.

class Migration(migrations.Migration):
    dependencies = [('models', '0002_capacity_checks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Account',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=64)),
                ('kind', fields.CharEnumField(description='BUYER_WALLET: BUYER_WALLET\nLEADER_COMMISSION: LEADER_COMMISSION\nLEADER_CASH: LEADER_CASH\nFARMER_PAYABLE: FARMER_PAYABLE\nPLATFORM_REVENUE: PLATFORM_REVENUE\nPRODUCE_HELD: PRODUCE_HELD\nPAYMENTS_CLEARING: PAYMENTS_CLEARING\nREFUNDS: REFUNDS\nPAYOUTS: PAYOUTS', enum_type=AccountKind, max_length=24)),
                ('owner', fields.ForeignKeyField('models.User', source_field='owner_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='money_accounts', on_delete=OnDelete.RESTRICT)),
                ('balance_fen', fields.BigIntField(default=0)),
                ('floor_fen', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'money_account', 'app': 'models', 'pk_attr': 'id', 'table_description': "One account of one party (a buyer's wallet, a leader's commission, ...) or of the"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LedgerTransaction',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='TOP_UP: TOP_UP\nPAYMENT: PAYMENT\nREFUND: REFUND\nCOMMISSION: COMMISSION\nCOMMISSION_REVERSAL: COMMISSION_REVERSAL\nFARMER_CREDIT: FARMER_CREDIT\nPAYOUT: PAYOUT', enum_type=LedgerKind, max_length=24)),
                ('order_id', fields.IntField(null=True, db_index=True)),
                ('purchase_id', fields.IntField(null=True, db_index=True)),
                ('memo', fields.CharField(default='', max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'ledger_transaction', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One movement of money: what it was for, and the order or purchase it concerns.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LedgerEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('transaction', fields.ForeignKeyField('models.LedgerTransaction', source_field='transaction_id', db_index=True, db_constraint=True, to_field='id', related_name='entries', on_delete=OnDelete.RESTRICT)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='entries', on_delete=OnDelete.RESTRICT)),
                ('amount_fen', fields.BigIntField()),
                ('balance_after_fen', fields.BigIntField()),
            ],
            options={'table': 'ledger_entry', 'app': 'models', 'indexes': [Index(fields=['account_id', 'id'])], 'pk_attr': 'id', 'table_description': "One side of a transaction on one account, with the account's balance right after it."},
            bases=['Model'],
        ),
        ops.AddConstraint(
            model_name='Account',
            constraint=CheckConstraint(check='floor_fen IS NULL OR balance_fen >= floor_fen', name='account_balance_above_floor'),
        ),
    ]
