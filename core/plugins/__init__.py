"""The plugin system: hook specifications, discovery, validation, per-tenant enablement and the hook relay."""
