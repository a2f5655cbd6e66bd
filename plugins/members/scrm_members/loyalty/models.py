"""Tables of the loyalty area (prefixed members_)."""
