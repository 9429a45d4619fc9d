"""Helpers that test modules share, so that none imports from another test_*.py module."""
