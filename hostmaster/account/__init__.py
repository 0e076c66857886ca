"""One's own account: change password and e-mail, and the password links sent by mail."""
