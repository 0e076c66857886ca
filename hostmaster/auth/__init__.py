"""Logging in and out, and the rule that every page but the login form needs a login."""
