"""Tables of the segments area (prefixed members_)."""
