"""Whether the services of the PostgreSQL + Redis test leg answer.

``python .ci/services.py DATABASE_URL REDIS_URL`` exits 0 when the PostgreSQL database and the Redis server answer
(a missing database on a PostgreSQL server that answers is created), 1 otherwise, with the reason on stderr.
"""

from __future__ import annotations

import sys


def check_postgresql(url: str) -> str | None:
    """None when ``url`` answers (creating its database if only that is missing), else the reason."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    engine = create_engine(target, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return None
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "does not exist" not in reason:
            return f"PostgreSQL at {target.render_as_string()}: {reason}"
    finally:
        engine.dispose()
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT",
                           connect_args={"connect_timeout": 3})
    try:
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
        return None
    except Exception as exc:
        return f"PostgreSQL at {target.render_as_string()}: cannot create the database ({exc})"
    finally:
        server.dispose()


def check_redis(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
        return None
    except Exception as exc:
        return f"Redis at {url}: {exc}"


def main(argv: list[str]) -> int:
    database_url, redis_url = argv
    problems = [p for p in (check_postgresql(database_url), check_redis(redis_url)) if p]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
