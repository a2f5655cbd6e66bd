import scrm_official_account.models  # noqa: F401,E402  (registers the plugin's tables)

from scrm.sdk.migrations import run_migrations

run_migrations()
