"""The Flask host."""

from .app import create_app

__all__ = ["create_app"]
