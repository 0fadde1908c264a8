"""Developer tools: the county simulation and the schema export."""
