"""Money in the API: wallets, top-ups, the viewer's ledger, commission rates and settlement
statements (issue 12), in the usual small modules (types, inputs, payloads, queries,
mutations)."""
