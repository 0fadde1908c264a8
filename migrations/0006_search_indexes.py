from tortoise import migrations
from tortoise.migrations import operations as ops

# Text search (produceListings' text, products' and stations' search) is a case-insensitive
# substring match: Tortoise's icontains, `UPPER(CAST(col AS VARCHAR)) LIKE UPPER('%term%')`,
# which works for Chinese, where word-based full-text search would not. On PostgreSQL a pg_trgm
# GIN index on exactly that expression lets each term use an index (a bitmap OR over the
# columns, AND over the terms) instead of reading every row. SQLite has no such index for
# substrings of one or two characters (FTS5's trigram tokenizer needs three; most Chinese
# terms are two): there the search is bounded instead (services/listings.py: at most 8 terms of
# 64 characters in all), and the statement runs in aiosqlite's thread, off the event loop.
SEARCHED = [
    ("produce_listing", "title"),
    ("produce_listing", "variety"),
    ("produce_listing", "description"),
    ("produce_listing", "category"),
    ("product", "name"),
    ("station", "name"),
    ("station", "village"),
    ("station", "township"),
]


def _index(table: str, column: str) -> str:
    return f"{table}_{column}_trgm"


async def create_indexes(apps, schema_editor) -> None:
    if schema_editor.DIALECT != "postgres":
        return
    await schema_editor._run_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column in SEARCHED:
        await schema_editor._run_sql(
            f'CREATE INDEX IF NOT EXISTS "{_index(table, column)}" ON "{table}" '
            f'USING gin ((UPPER(CAST("{column}" AS VARCHAR))) gin_trgm_ops)'
        )


async def drop_indexes(apps, schema_editor) -> None:
    if schema_editor.DIALECT != "postgres":
        return
    for table, column in SEARCHED:
        await schema_editor._run_sql(f'DROP INDEX IF EXISTS "{_index(table, column)}"')


class Migration(migrations.Migration):
    dependencies = [("models", "0005_order_and_purchase_money")]

    initial = False

    operations = [ops.RunPython(create_indexes, drop_indexes)]
