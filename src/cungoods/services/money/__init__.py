"""The money side: the double-entry ledger and the use cases that move money through it."""
