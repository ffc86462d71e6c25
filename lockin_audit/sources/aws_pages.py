"""Paginated AWS reads, one page per engine call.

botocore's `build_full_result()` fetches every page inside one blocking call, so one
timeout covered the whole chain (and cut long listings short). Here each `next()` of the
PageIterator is its own engine call (its own timeout and rate-limit token, all within the
target's budget), and the pages are then merged by botocore's own `build_full_result`
logic, so the merged answer is exactly what botocore would have returned.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lockin_audit.transport import Engine


class _Replay:
    """The collected pages, shaped like a PageIterator for `build_full_result`."""

    def __init__(self, source: Any, pages: list[Any]) -> None:
        self._pages = pages
        self.result_keys = source.result_keys
        self.non_aggregate_part = source.non_aggregate_part
        self.resume_token = source.resume_token

    def __iter__(self) -> Iterator[Any]:
        return iter(self._pages)


_DONE = object()


@functools.lru_cache(maxsize=256)
def pagination(service: str, operation: str) -> Mapping[str, Any] | None:
    """botocore's pagination configuration of one operation (its paginators-1 model, read
    through botocore's public loader): the output token(s) and `more_results` flag."""
    from botocore.loaders import create_loader

    model = create_loader().load_service_model(service, "paginators-1")
    config = model.get("pagination", {}).get(operation)
    return dict(config) if config else None


def has_more(config: Mapping[str, Any], page: Mapping[str, Any]) -> bool:
    """Whether botocore's PageIterator would ask for another page after `page`: the
    `more_results` flag (when the operation has one) is true and an output token is set
    (botocore/paginate.py, PageIterator.__iter__)."""
    import jmespath

    more = config.get("more_results")
    if more and not jmespath.search(more, page):
        return False
    tokens = config.get("output_token")
    tokens = tokens if isinstance(tokens, list) else [tokens]
    return any(jmespath.search(t, page) is not None for t in tokens if t)


async def read_all_pages(engine: Engine, host: str, start: Callable[[], tuple[Any, Any]],
                         config: Mapping[str, Any], *, timeout_s: float) -> dict[str, Any]:
    """Read a paginated operation one page per engine call (its own timeout and rate-limit
    token, all within the target's budget), counting only real requests: `start()` makes
    the PageIterator and fetches the first page in the same call, and a next page is asked
    for only while the last one says there is more. The pages are merged by botocore's own
    `build_full_result`, so the answer is exactly what botocore would have returned."""
    from botocore.paginate import PageIterator

    made: list[Any] = []

    def first() -> Any:
        iterator, pages = start()
        made.extend((iterator, pages))
        return next(pages, _DONE)

    def following() -> Any:
        return next(made[1], _DONE)

    page = await engine.call_sync(host, first, timeout_s=timeout_s)
    collected: list[Any] = []
    while page is not _DONE:
        collected.append(page)
        engine.stats.pages += 1
        if not has_more(config, page):
            break
        page = await engine.call_sync(host, following, timeout_s=timeout_s)
    merged: dict[str, Any] = PageIterator.build_full_result(  # type: ignore[arg-type]
        _Replay(made[0], collected))
    return merged
