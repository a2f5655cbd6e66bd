"""Core services: tenant-scoped queries, One-ID, merge, audit, users, channel accounts, deliveries, audiences."""
