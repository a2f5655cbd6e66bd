"""The customers area of the members plugin."""

from ..area import Area

AREA = Area("customers")
