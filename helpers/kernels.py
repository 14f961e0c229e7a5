"""The only place that touches jupyter_client's private internals: a kernel manager whose
kernels do not print their start-up warnings into a build's output.

It overrides ``AsyncKernelManager._async_start_kernel`` (private) to pass ``stderr`` to the
kernel process. ``tests/test_report.py`` guards it: when jupyter_client renames the method,
the guard fails and :func:`quiet_kernel_manager` falls back to the plain manager (noisier
output, same results).
"""

from __future__ import annotations

import subprocess
from typing import Any


def quiet_kernel_manager() -> type:
    """A kernel manager class for nbclient/papermill whose kernels write no stderr to the
    terminal (cell errors still reach the notebook; a dead kernel still fails the build)."""
    from jupyter_client.manager import AsyncKernelManager

    if not hasattr(AsyncKernelManager, "_async_start_kernel"):  # pragma: no cover
        return AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        async def _async_start_kernel(self, **kwargs: Any) -> None:
            kwargs.setdefault("stderr", subprocess.DEVNULL)
            await super()._async_start_kernel(**kwargs)

        start_kernel = _async_start_kernel  # nbclient awaits start_kernel

    return QuietKernelManager
