"""Opt-out: replies of TD / T / 退订 (and the manual list) keep a mobile out of the tenant's marketing SMS."""
