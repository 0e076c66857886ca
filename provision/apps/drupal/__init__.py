"""Drupal: detection of Drupal 7 and 8+ codebases and the scan of their packages."""

from .driver import DrupalDriver

__all__ = ["DrupalDriver"]
