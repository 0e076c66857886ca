"""Platforms: the list, the add form, each platform's page and its packages."""
