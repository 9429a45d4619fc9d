"""Quire: a document management system with a Papermerge-compatible REST API."""

__version__ = "0.1.0"
