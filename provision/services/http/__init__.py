"""Web server services: apache and nginx."""
