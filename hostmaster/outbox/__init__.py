"""The Outbox page: every mail the panel sent or tried to send, and Resend."""
