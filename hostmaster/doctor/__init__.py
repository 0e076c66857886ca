"""The doctor's page: orphans listed by provision on each server, each removed only once an
administrator confirms it (hostmaster/services/doctor.py)."""
