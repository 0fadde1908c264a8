"""The database: Tortoise set-up, error classification, and the one plain-SQL helper."""
