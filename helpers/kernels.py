"""Kernels and the Jupyter server around them.

The only place that touches jupyter_client's private internals: a kernel manager whose
kernels do not print their start-up warnings into a build's output.

It overrides ``AsyncKernelManager._async_start_kernel`` (private) to pass ``stderr`` to the
kernel process. ``tests/test_report.py`` guards it: when jupyter_client renames the method,
the guard fails and :func:`quiet_kernel_manager` falls back to the plain manager (noisier
output, same results). :func:`served_url` finds where the running Jupyter server (``make lab``) or
dashboard (``make app``) serves a file, for the explorers' export links and maps;
:func:`lab_command` and :func:`app_command` are the commands of ``make lab`` and ``make app``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from helpers.paths import ASSETS_DIR, NOTEBOOKS_DIR, REPORTS_DIR

APP_ENV = "ATLAS_APP"
"""Set by the dashboard's server (``python -m helpers.voila``) for its kernels: the folders
of :data:`APP_FOLDERS` are served at ``<base URL>atlas/<name>/``."""
APP_FOLDERS = {"reports": REPORTS_DIR, "assets": ASSETS_DIR}
"""What the dashboard serves besides the notebooks: the reports (the export button's pages)
and the vendored assets (the world map its maps draw)."""
CULL_IDLE_TIMEOUT = 300
"""s: the dashboard ends a kernel whose page is gone after this long without activity."""
CULL_INTERVAL = 60
"""s: how often the dashboard looks for such kernels."""


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


def in_app() -> bool:
    """True in a kernel of the dashboard (``make app``), whose readers do not see the
    server's files."""
    return bool(os.environ.get(APP_ENV))


def served_url(path: Path) -> str | None:
    """The address at which the server that started this kernel serves ``path`` (same origin
    as the page), or None outside such a server or when it does not serve ``path``.

    Under ``make app`` (the dashboard's kernels have :data:`APP_ENV`): its ``atlas/`` routes,
    after Voila's base URL. Under a Jupyter server (``make lab``): its ``/files/`` handler,
    from the server list that Jupyter keeps in its runtime folder (the kernel's
    ``JPY_PARENT_PID`` is the server's pid)."""
    if in_app():
        return _app_url(path, os.environ.get("VOILA_BASE_URL") or "/")
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


def _app_url(path: Path, base_url: str) -> str | None:
    """The dashboard's address of ``path`` (None outside :data:`APP_FOLDERS`)."""
    for name, folder in APP_FOLDERS.items():
        try:
            relative = Path(path).resolve().relative_to(Path(folder).resolve())
        except ValueError:
            continue
        return f"{base_url.rstrip('/')}/atlas/{name}/{quote(relative.as_posix())}"
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


def app_command(port: int, extra: Sequence[str] = (), *,
                cull_idle_timeout: int = CULL_IDLE_TIMEOUT,
                cull_interval: int = CULL_INTERVAL,
                progressive: bool = True, notebooks: Path = NOTEBOOKS_DIR) -> list[str]:
    """The dashboard command of ``make app`` (and of its browser test): Voila on 127.0.0.1
    serving ``notebooks/`` (each at ``/voila/render/NAME.ipynb``) with the project's
    template (``helpers/voila``: nothing fetched from another machine), no code cells,
    errors as one line (no traceback), and kernels ended once their page is gone: Voila ends
    a page's kernel when the page closes; a kernel whose page vanished without saying so
    (a crashed browser, a lost network) is culled after ``cull_idle_timeout`` seconds without
    activity, checked every ``cull_interval`` seconds. A kernel whose page is still open is
    kept. ``progressive`` shows each cell as soon as it has run instead of the whole page at
    the end. ``notebooks``: the folder served (the tests serve a copy)."""
    return [sys.executable, "-m", "helpers.voila", str(notebooks), "--no-browser",
            f"--port={port}", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0",
            "--VoilaConfiguration.template=atlas",
            "--VoilaConfiguration.strip_sources=True",
            "--VoilaConfiguration.show_tracebacks=True",  # one line: see helpers/voila
            f"--VoilaConfiguration.progressive_rendering={progressive}",
            f"--MappingKernelManager.cull_idle_timeout={int(cull_idle_timeout)}",
            f"--MappingKernelManager.cull_interval={int(cull_interval)}",
            "--MappingKernelManager.cull_connected=False",
            *extra]
