"""Every foreign key of the PostgreSQL schema has an index (issue 14).

PostgreSQL indexes the referenced primary key, never the referencing column: without an index a
join from the parent (a trip's orders, an order's lines) and every DELETE or key change of the
parent reads the whole child table, and that grows with every day of history. An index counts
when its leading columns are exactly the foreign key's columns (in any order), it is valid and
it is not partial: a composite index (trip_id, station_id) serves trip_id, one on
(topic, event_id) does not serve event_id.
"""

from __future__ import annotations

import pytest
from tortoise import connections

pytestmark = pytest.mark.pg_only

UNINDEXED_FOREIGN_KEYS_SQL = """
SELECT c.conrelid::regclass::text AS table_name,
       c.conname AS constraint_name,
       array_agg(a.attname::text ORDER BY k.ord) AS columns
FROM pg_constraint c
JOIN pg_namespace n ON n.oid = c.connamespace
CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
WHERE c.contype = 'f'
  AND n.nspname = 'public'
  AND NOT EXISTS (
    SELECT 1
    FROM pg_index i
    WHERE i.indrelid = c.conrelid
      AND i.indisvalid
      AND i.indpred IS NULL
      AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
      AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey
  )
GROUP BY c.conrelid, c.conname
ORDER BY 1, 2
"""


async def unindexed_foreign_keys() -> list[str]:
    """`table(columns)` for each foreign key of the public schema with no index leading on it."""
    rows = await connections.get("default").execute_query_dict(UNINDEXED_FOREIGN_KEYS_SQL)
    return [f"{row['table_name']}({', '.join(row['columns'])})" for row in rows]


async def test_every_foreign_key_has_an_index_leading_on_its_columns() -> None:
    missing = await unindexed_foreign_keys()

    assert missing == [], (
        f"{len(missing)} foreign key(s) without an index whose leading columns are theirs: "
        + "; ".join(missing)
        + ". Declare one in the model's Meta.indexes (the key first) and run "
        "`cungoods makemigrations`."
    )


async def test_the_check_sees_a_foreign_key_without_an_index() -> None:
    # The check itself: a key with no index, then one where the key is not the leading column,
    # are reported; an index leading on it makes it pass.
    connection = connections.get("default")
    await connection.execute_script(
        'CREATE TABLE "zz_index_probe" (id SERIAL PRIMARY KEY, note TEXT, '
        'order_id INT NOT NULL REFERENCES "cg_order" ("id"))'
    )
    try:
        assert "zz_index_probe(order_id)" in await unindexed_foreign_keys()
        await connection.execute_script(
            'CREATE INDEX "zz_index_probe_note_order" ON "zz_index_probe" (note, order_id)'
        )
        assert "zz_index_probe(order_id)" in await unindexed_foreign_keys()
        await connection.execute_script(
            'CREATE INDEX "zz_index_probe_order_note" ON "zz_index_probe" (order_id, note)'
        )
        assert "zz_index_probe(order_id)" not in await unindexed_foreign_keys()
    finally:
        await connection.execute_script('DROP TABLE IF EXISTS "zz_index_probe"')
