"""How GraphQL reaches the server: the HTTP view and the graphql-transport-ws handler."""
