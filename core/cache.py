"""A small cache: Redis when configured, process memory otherwise. Used for rate limits, tokens and locks."""

from __future__ import annotations

import threading
import time
from contextlib import AbstractContextManager
from typing import Protocol


class Cache(Protocol):
    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str, ttl: int | None = None) -> None: ...
    def delete(self, key: str) -> None: ...
    def incr(self, key: str, ttl: int) -> int: ...
    def ttl(self, key: str) -> int: ...
    def lock(self, key: str, timeout: int = 30) -> AbstractContextManager: ...


class MemoryCache:
    def __init__(self) -> None:
        self._data: dict[str, tuple[str, float | None]] = {}
        self._mutex = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def _alive(self, key: str) -> tuple[str, float | None] | None:
        item = self._data.get(key)
        if item is not None and item[1] is not None and item[1] <= time.monotonic():
            self._data.pop(key, None)
            return None
        return item

    def get(self, key: str) -> str | None:
        with self._mutex:
            item = self._alive(key)
            return item[0] if item else None

    def set(self, key: str, value: str, ttl: int | None = None) -> None:
        with self._mutex:
            self._data[key] = (value, time.monotonic() + ttl if ttl else None)

    def delete(self, key: str) -> None:
        with self._mutex:
            self._data.pop(key, None)

    def incr(self, key: str, ttl: int) -> int:
        with self._mutex:
            item = self._alive(key)
            if item is None:
                self._data[key] = ("1", time.monotonic() + ttl)
                return 1
            value = int(item[0]) + 1
            self._data[key] = (str(value), item[1])
            return value

    def ttl(self, key: str) -> int:
        with self._mutex:
            item = self._alive(key)
            if item is None:
                return -2
            return -1 if item[1] is None else max(0, int(item[1] - time.monotonic()))

    def lock(self, key: str, timeout: int = 30) -> AbstractContextManager:
        with self._mutex:
            return self._locks.setdefault(key, threading.Lock())


class RedisCache:
    def __init__(self, url: str, prefix: str = "scrm:") -> None:
        import redis

        self.client = redis.Redis.from_url(url, decode_responses=True)
        self.prefix = prefix

    def get(self, key: str) -> str | None:
        return self.client.get(self.prefix + key)

    def set(self, key: str, value: str, ttl: int | None = None) -> None:
        self.client.set(self.prefix + key, value, ex=ttl)

    def delete(self, key: str) -> None:
        self.client.delete(self.prefix + key)

    def incr(self, key: str, ttl: int) -> int:
        pipe = self.client.pipeline()
        pipe.incr(self.prefix + key)
        pipe.expire(self.prefix + key, ttl, nx=True)
        value, _ = pipe.execute()
        return int(value)

    def ttl(self, key: str) -> int:
        return int(self.client.ttl(self.prefix + key))

    def lock(self, key: str, timeout: int = 30) -> AbstractContextManager:
        return self.client.lock(self.prefix + "lock:" + key, timeout=timeout, blocking_timeout=timeout)


def make_cache(url: str | None, prefix: str = "scrm:") -> Cache:
    return RedisCache(url, prefix) if url else MemoryCache()
