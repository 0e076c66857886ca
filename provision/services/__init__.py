"""Services a server runs (``http``: apache, nginx; ``db``: mysql), each also as ``null``."""
