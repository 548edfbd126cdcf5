from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ..services import ServicesDep
from .service import Cache


async def get_cache(services: ServicesDep) -> Cache:
    return services.cache


CacheDep = Annotated[Cache, Depends(get_cache)]
