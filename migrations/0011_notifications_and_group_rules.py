from tortoise import migrations
from tortoise.migrations import operations as ops
from cungoods.models.enums import SmsState
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_returns_and_guards')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('event', fields.ForeignKeyField('models.Event', source_field='event_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=32)),
                ('language', fields.CharField(max_length=2)),
                ('text', fields.CharField(max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sms_state', fields.CharEnumField(default=SmsState.OFF, description='OFF: OFF\nPENDING: PENDING\nSENDING: SENDING\nSENT: SENT\nFAILED: FAILED', enum_type=SmsState, max_length=8)),
                ('sms_attempts', fields.IntField(default=0)),
                ('sms_next_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notification', 'app': 'models', 'indexes': [Index(fields=['user_id', 'id']), Index(fields=['sms_state', 'sms_next_at']), Index(fields=['event_id'])], 'pk_attr': 'id', 'table_description': 'Written with its event, in the same transaction (events/notices.py).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='SaleItem',
            name='max_per_buyer',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='SaleItem',
            name='min_units',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='User',
            name='language',
            field=fields.CharField(default='zh', db_default='zh', max_length=2),
        ),
    ]
