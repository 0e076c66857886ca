"""The public sign-up form (a feature, off by default): a client, its user and a site."""
