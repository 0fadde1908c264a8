"""Business rules as plain async functions: they take plain values, own their transaction, and
return domain results or raise DomainError. Nothing here imports strawberry."""
