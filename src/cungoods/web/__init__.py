"""The HTTP shell around the GraphQL app: request context, body limit, operator endpoints and
the board."""
