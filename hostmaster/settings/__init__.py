"""The Settings page: every setting of the registry, edited by group, and a test mail."""
