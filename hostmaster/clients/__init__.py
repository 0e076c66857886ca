"""Clients: the list, the add and edit forms, each client's page, and the client and sign-up
settings."""
