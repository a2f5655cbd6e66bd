"""The Flask host."""

from .app import create_app
from .serving import serving_app

__all__ = ["create_app", "serving_app"]
