"""Servers: the list, the add form and each server's page."""
