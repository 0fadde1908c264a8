"""Accounts in the API: the User type, viewer, register, login, assignRole."""
