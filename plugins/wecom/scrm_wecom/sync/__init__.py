"""WeCom sync: the org tree, external contacts with their follow relations, and corporate tags (both ways)."""
