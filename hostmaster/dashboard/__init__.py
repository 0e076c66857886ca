"""The home page: how many servers, platforms, sites and tasks there are, by status."""
