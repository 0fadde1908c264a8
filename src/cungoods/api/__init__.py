"""The GraphQL layer: strawberry types, queries, mutations, subscriptions, loaders; thin."""
