"""Database server services: mysql (MySQL and MariaDB)."""
