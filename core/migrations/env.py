from scrm.core.migrate import run_migrations

run_migrations()
