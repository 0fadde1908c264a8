"""cungoods (村货): GraphQL API for a county's two-way rural logistics network."""

__version__ = "0.1.0"
