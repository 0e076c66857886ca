"""WordPress: detection of a WordPress codebase and the scan of its plugins and themes."""

from .driver import WordPressDriver, file_headers

__all__ = ["WordPressDriver", "file_headers"]
