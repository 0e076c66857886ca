"""Sites: the list and each site's page (creating sites comes with the site lifecycle)."""
