"""The service layer: the only code that opens transactions and queues tasks.

Views, the CLI, the dispatcher and (later) the API call these functions; each validates its
input, changes the store, and commits, or raises ``ValidationError`` and changes nothing.
"""
