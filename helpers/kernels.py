"""Kernels and the Jupyter server around them.

The only place that touches jupyter_client's private internals: a kernel manager whose
kernels do not print their start-up warnings into a build's output.

It overrides ``AsyncKernelManager._async_start_kernel`` (private) to pass ``stderr`` to the
kernel process. ``tests/test_report.py`` guards it: when jupyter_client renames the method,
the guard fails and :func:`quiet_kernel_manager` falls back to the plain manager (noisier
output, same results). :func:`served_url` finds where the running Jupyter server serves a
file, for the explorers' export links.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote


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


def served_url(path: Path) -> str | None:
    """The address at which the Jupyter server that started this kernel serves ``path``
    (its ``/files/`` handler, same origin as the page), or None outside such a server or
    when ``path`` is outside the server's root folder. Reads the server list that Jupyter
    keeps in its runtime folder (the kernel's ``JPY_PARENT_PID`` is the server's pid)."""
    pid = os.environ.get("JPY_PARENT_PID")
    if not pid:
        return None
    try:
        from jupyter_server.serverapp import list_running_servers

        servers = list(list_running_servers())
    except Exception:  # pragma: no cover - no jupyter_server, unreadable runtime folder
        return None
    for info in servers:
        if str(info.get("pid")) != pid:
            continue
        try:
            relative = Path(path).resolve().relative_to(Path(info["root_dir"]).resolve())
        except (KeyError, ValueError):
            return None
        return f"{info.get('base_url', '/').rstrip('/')}/files/{quote(relative.as_posix())}"
    return None


def lab_command(root: Path, port: int, extra: Sequence[str] = ()) -> list[str]:
    """The JupyterLab command of ``make lab`` (and of the browser tests): on 127.0.0.1 with
    token authentication, rooted at the project (``notebooks/`` opens first, ``reports/`` is
    beside it, so the explorers' export links are served), and a save hook that keeps the
    project's notebooks as small as in git (``helpers.notebooks.pre_save_hook``)."""
    command = [sys.executable, "-m", "jupyter", "lab", "--ip=127.0.0.1", f"--port={port}",
               f"--ServerApp.root_dir={root}", "--LabApp.default_url=/lab/tree/notebooks",
               "--ContentsManager.pre_save_hook=helpers.notebooks.pre_save_hook"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # JupyterLab refuses root without it
    return [*command, *extra]
