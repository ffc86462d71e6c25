"""Paginated AWS reads, one page per engine call.

botocore's `build_full_result()` fetches every page inside one blocking call, so one
timeout covered the whole chain (and cut long listings short). Here each `next()` of the
PageIterator is its own engine call (its own timeout and rate-limit token, all within the
target's budget), and the pages are then merged by botocore's own `build_full_result`
logic, so the merged answer is exactly what botocore would have returned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lockin_audit.engine import Engine


class _Replay:
    """The collected pages, shaped like a PageIterator for `build_full_result`."""

    def __init__(self, source: Any, pages: list[Any]) -> None:
        self._pages = pages
        self.result_keys = source.result_keys
        self.non_aggregate_part = source.non_aggregate_part
        self.resume_token = source.resume_token

    def __iter__(self) -> Iterator[Any]:
        return iter(self._pages)


async def read_all_pages(engine: Engine, host: str, make: Callable[[], Any], *,
                         timeout_s: float) -> dict[str, Any]:
    """`make()` returns a botocore PageIterator (`paginator.paginate(...)`); every page is
    one engine call of at most `timeout_s`."""
    from botocore.paginate import PageIterator

    made: list[Any] = []

    def start() -> Iterator[Any]:
        made.append(make())
        return iter(made[0])

    pages = await engine.pages_sync(host, start, timeout_s=timeout_s)
    merged: dict[str, Any] = PageIterator.build_full_result(_Replay(made[0], pages))  # type: ignore[arg-type]
    return merged
