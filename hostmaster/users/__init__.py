"""The users pages of Administration: every account, and setting anyone's password."""
