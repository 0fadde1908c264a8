from tortoise import migrations
from tortoise.migrations import operations as ops

# Text search on SQLite (produceListings' text): an FTS5 table with the trigram tokenizer over the
# searched columns of produce_listing, kept in step by triggers (so every way a listing is
# written, the seed's bulk inserts included, updates it). A term of three or more characters is
# looked up in it (services/listings.py) before the substring match checks the candidates: the
# same reach as the pg_trgm indexes of 0006 on PostgreSQL, which likewise help only terms of
# three or more characters. NOTE: a later migration that rebuilds produce_listing on SQLite (an
# AddConstraint does) drops these triggers; such a migration must create them again.
COLUMNS = "title, variety, description, category"
CREATE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS produce_listing_fts USING fts5("
    f"{COLUMNS}, content='produce_listing', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS produce_listing_fts_insert AFTER INSERT ON produce_listing "
    f"BEGIN INSERT INTO produce_listing_fts(rowid, {COLUMNS}) "
    "VALUES (new.id, new.title, new.variety, new.description, new.category); END",
    "CREATE TRIGGER IF NOT EXISTS produce_listing_fts_delete AFTER DELETE ON produce_listing "
    f"BEGIN INSERT INTO produce_listing_fts(produce_listing_fts, rowid, {COLUMNS}) "
    "VALUES ('delete', old.id, old.title, old.variety, old.description, old.category); END",
    "CREATE TRIGGER IF NOT EXISTS produce_listing_fts_update "
    "AFTER UPDATE OF title, variety, description, category ON produce_listing "
    f"BEGIN INSERT INTO produce_listing_fts(produce_listing_fts, rowid, {COLUMNS}) "
    "VALUES ('delete', old.id, old.title, old.variety, old.description, old.category); "
    f"INSERT INTO produce_listing_fts(rowid, {COLUMNS}) "
    "VALUES (new.id, new.title, new.variety, new.description, new.category); END",
    # Listings written before this migration.
    "INSERT INTO produce_listing_fts(produce_listing_fts) VALUES ('rebuild')",
]
DROP = [
    "DROP TRIGGER IF EXISTS produce_listing_fts_insert",
    "DROP TRIGGER IF EXISTS produce_listing_fts_delete",
    "DROP TRIGGER IF EXISTS produce_listing_fts_update",
    "DROP TABLE IF EXISTS produce_listing_fts",
]


async def create_search(apps, schema_editor) -> None:
    if schema_editor.DIALECT != "sqlite":
        return
    for statement in CREATE:
        # Not _run_sql: on SQLite it splits on ";", which a trigger's body contains.
        await schema_editor.client.execute_query(statement)


async def drop_search(apps, schema_editor) -> None:
    if schema_editor.DIALECT != "sqlite":
        return
    for statement in DROP:
        await schema_editor.client.execute_query(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0007_foreign_key_and_filter_indexes")]

    initial = False

    operations = [ops.RunPython(create_search, drop_search)]
