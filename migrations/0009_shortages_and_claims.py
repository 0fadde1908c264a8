# Issue 13 (shortages, arrival checks, after-sale claims): the claim, claim_line and
# arrival_check tables (new tables only: nothing existing is rebuilt, so SQLite keeps the listing
# search triggers of 0008), and order.picked_up_at (a plain ADD COLUMN), from which the
# after-sale window counts.
from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from cungoods.models.enums import ClaimKind, ClaimStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0008_sqlite_listing_search')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ArrivalCheck',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('trip', fields.ForeignKeyField('models.Trip', source_field='trip_id', db_constraint=True, to_field='id', related_name='arrival_checks', on_delete=OnDelete.RESTRICT)),
                ('station', fields.ForeignKeyField('models.Station', source_field='station_id', db_constraint=True, to_field='id', related_name='arrival_checks', on_delete=OnDelete.RESTRICT)),
                ('leader', fields.ForeignKeyField('models.User', source_field='leader_id', db_constraint=True, to_field='id', related_name='arrival_checks', on_delete=OnDelete.RESTRICT)),
                ('missing_units', fields.IntField(default=0)),
                ('refunded_fen', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'arrival_check', 'app': 'models', 'unique_together': (('trip', 'station'),), 'indexes': [Index(fields=['station_id']), Index(fields=['leader_id'])], 'pk_attr': 'id', 'table_description': "A station leader's check of what a trip brought (到货验收), once per trip and station."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Claim',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='ARRIVAL: ARRIVAL\nAFTER_SALE: AFTER_SALE', enum_type=ClaimKind, max_length=16)),
                ('status', fields.CharEnumField(default=ClaimStatus.FILED, description='FILED: FILED\nAPPROVED: APPROVED\nREJECTED: REJECTED', enum_type=ClaimStatus, max_length=16)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='claims', on_delete=OnDelete.RESTRICT)),
                ('buyer', fields.ForeignKeyField('models.User', source_field='buyer_id', db_constraint=True, to_field='id', related_name='claims', on_delete=OnDelete.RESTRICT)),
                ('filed_by', fields.ForeignKeyField('models.User', source_field='filed_by_id', db_constraint=True, to_field='id', related_name='filed_claims', on_delete=OnDelete.RESTRICT)),
                ('reason', fields.CharField(max_length=500)),
                ('photo_urls', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('claimed_fen', fields.IntField()),
                ('refund_fen', fields.IntField(default=0)),
                ('note', fields.CharField(default='', max_length=200)),
                ('resolved_by', fields.ForeignKeyField('models.User', source_field='resolved_by_id', null=True, db_constraint=True, to_field='id', related_name='resolved_claims', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'claim', 'app': 'models', 'indexes': [Index(fields=['order_id']), Index(fields=['buyer_id', 'id']), Index(fields=['status', 'id']), Index(fields=['filed_by_id']), Index(fields=['resolved_by_id'])], 'pk_attr': 'id', 'table_description': "A claim on an order's lines: filed (by the buyer, or by the leader at the arrival check),"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ClaimLine',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('claim', fields.ForeignKeyField('models.Claim', source_field='claim_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE)),
                ('sale_item', fields.ForeignKeyField('models.SaleItem', source_field='sale_item_id', db_constraint=True, to_field='id', related_name='claim_lines', on_delete=OnDelete.RESTRICT)),
                ('units', fields.IntField()),
                ('unit_price_fen', fields.IntField()),
                ('open_key', fields.CharField(null=True, unique=True, max_length=32)),
            ],
            options={'table': 'claim_line', 'app': 'models', 'indexes': [Index(fields=['claim_id']), Index(fields=['sale_item_id'])], 'pk_attr': 'id', 'table_description': 'Units of one line of the claimed order.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Order',
            name='picked_up_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
