"""Tests of provision's application drivers (provision/apps/)."""
