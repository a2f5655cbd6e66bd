"""Tables of the customers area (prefixed members_)."""
