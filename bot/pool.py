"""Thread pools that know when they are idle.

The listener pool runs Bolt's listeners (acks and quick work). The background pool runs the
slow work after an ack (duplicate checks, themes, charts) on a few threads with a bounded
queue, so under load that CPU-heavy work cannot starve the threads that must ack within
Slack's 3 seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class ListenerPool(ThreadPoolExecutor):
    """A thread pool that counts unfinished work, so tests and the sandbox can wait for it."""

    def __init__(self, max_workers: int, *, name: str = "listener") -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=name)
        self._busy = 0
        self._idle = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run `fn` in the pool and count it until it finishes."""
        with self._idle:
            self._busy += 1
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._done()
            raise
        future.add_done_callback(lambda _: self._done())
        return future

    def _done(self) -> None:
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no listener work is left (True), or `timeout` runs out (False)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout=timeout)


class BackgroundPool(ListenerPool):
    """Slow work after the ack: a few threads, and a queue that drops work when it is full."""

    def __init__(self, max_workers: int, *, max_queued: int) -> None:
        super().__init__(max_workers, name="background")
        self.max_queued = max_queued

    def offer(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> bool:
        """Queue `fn` unless the backlog is full (then False: the caller skips the extra)."""
        with self._idle:
            if self._busy >= self.max_queued:
                return False
        self.submit(fn, *args, **kwargs)
        return True
