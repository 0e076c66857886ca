"""The site lifecycle's building blocks: folders, credentials, vhosts, backups.

The commands in provision/commands/ (install, verify, backup, disable, enable, delete,
login-reset, import) are short sequences of these steps.
"""
