"""The objects the service builds once at start-up and every request uses.

The lifespan (main.py) opens them with open_services() and keeps them on the app;
routes reach them through ServicesDep, or the narrower dependencies each domain
derives from it (SessionDep, CacheDep, StorageDep, ...). Tests swap one with
dataclasses.replace().
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from .auth.login_attempts import LoginAttempts
from .cache import Cache, create_cache
from .db.engine import create_engine, create_read_engine, create_sessionmaker
from .metrics import Metrics
from .redis_client import RedisClient, create_redis
from .sessions.strategy import Strategy
from .settings import Settings
from .uploads.storage import Storage, create_storage
from .users.passwords import Passwords


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    metrics: Metrics
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    read_engine: AsyncEngine
    redis: RedisClient
    cache: Cache
    storage: Storage
    sessions: Strategy
    login_attempts: LoginAttempts
    passwords: Passwords


@asynccontextmanager
async def open_services(settings: Settings, metrics: Metrics) -> AsyncIterator[Services]:
    """Build every service object; close them, last opened first, when the block ends."""
    async with AsyncExitStack() as opened:
        engine = create_engine(settings)
        opened.push_async_callback(engine.dispose)
        opened.callback(metrics.registry.unregister, metrics.watch_pool(engine))
        redis = create_redis(settings)
        opened.push_async_callback(redis.aclose)
        cache = create_cache(settings, metrics.cache)
        opened.push_async_callback(cache.close)
        await cache.start()
        storage = await opened.enter_async_context(create_storage(settings))
        yield Services(
            settings=settings,
            metrics=metrics,
            engine=engine,
            sessionmaker=create_sessionmaker(engine),
            read_engine=create_read_engine(engine, settings),
            redis=redis,
            cache=cache,
            storage=storage,
            sessions=Strategy(settings, redis),
            login_attempts=LoginAttempts(settings, redis),
            passwords=Passwords(settings),
        )


# async: FastAPI runs a plain def dependency in a worker thread, a hop that costs
# more than the function. Solved once per request, however many dependencies use it.
async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
