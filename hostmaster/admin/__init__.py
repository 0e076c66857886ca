"""Administration: the permissions grid and the features page."""
