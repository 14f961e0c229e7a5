"""``python -m helpers.voila NOTEBOOKS [Voila options]``: Voila for ``make app``.

What it adds to ``voila`` (``helpers.kernels.app_command`` passes the options):

- the ``atlas`` template (``jupyter/voila/templates/atlas``, found through ``JUPYTER_PATH``):
  Voila's lab template without its links to a CDN, so a page asks nothing of another
  machine;
- the routes ``<base URL>atlas/reports/`` and ``atlas/assets/`` (``helpers.kernels.
  APP_FOLDERS``): the export button's pages and the world map the maps draw; its kernels get
  ``ATLAS_APP`` so that ``helpers.kernels.served_url`` links to them;
- a closed page ends its kernel at once: Voila's page asks for that on unload, with the
  ``_xsrf`` cookie the server checks, which Voila 0.5 never sets (voila-dashboards/voila
  issue 1458: every request failed with 403 and each visit's kernel stayed until culled); a
  prelaunch hook sets it;
- errors as one line: the kernels' IPython shows an exception as ``Type: message`` (a
  profile of its own, in a temporary folder), so a failing cell tells the reader what went
  wrong without a traceback;
- the address of every notebook printed on start.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from helpers.kernels import APP_ENV, APP_FOLDERS

TEMPLATES = Path(__file__).resolve().parent / "jupyter"
"""A Jupyter data folder holding ``voila/templates/atlas``."""
KERNEL_CONFIG = """# written by helpers.voila for the dashboard's kernels
c.InteractiveShell.xmode = "Minimal"  # an error is one line, without the traceback
c.HistoryManager.enabled = False
"""


def set_xsrf_cookie(handler: Any, notebook: Any = None, cwd: Any = None) -> None:
    """Voila's prelaunch hook (called with the page's request handler before its kernel
    starts): give the page the ``_xsrf`` cookie, which tornado sets on the first use of
    the handler's ``xsrf_token``. Returns None: the notebook is unchanged."""
    _ = handler.xsrf_token


def _voila_class() -> type:
    from jupyter_server.utils import url_path_join
    from tornado.web import StaticFileHandler
    from voila.app import Voila

    class AtlasVoila(Voila):
        """Voila serving the project's reports and assets beside the notebooks."""

        def initialize(self, argv: list[str] | None = None) -> None:
            super().initialize(argv)
            config = self.voila_configuration
            if config.prelaunch_hook is None and not config.preheat_kernel:
                config.prelaunch_hook = set_xsrf_cookie

        def init_handlers(self) -> list:
            routes = [(url_path_join(self.server_url, f"/atlas/{name}/(.*)"), StaticFileHandler,
                       {"path": str(folder)}) for name, folder in APP_FOLDERS.items()]
            return [*routes, *super().init_handlers()]

        @property
        def display_url(self) -> str:
            base = super().display_url
            if self.notebook_path:
                return base
            names = sorted(p.name for p in Path(self.root_dir).glob("*.ipynb"))
            return "\n".join([base, *(f"{base.rstrip('/')}/voila/render/{quote(name)}"
                                      for name in names)])

    return AtlasVoila


def main(argv: list[str]) -> int:
    """Run Voila with ``argv`` until it is stopped."""
    with tempfile.TemporaryDirectory(prefix="atlas-app-ipython-") as ipython:
        profile = Path(ipython) / "profile_default"
        profile.mkdir()
        (profile / "ipython_kernel_config.py").write_text(KERNEL_CONFIG, encoding="utf-8")
        os.environ["IPYTHONDIR"] = ipython
        os.environ["JUPYTER_PATH"] = os.pathsep.join(
            [str(TEMPLATES), *filter(None, [os.environ.get("JUPYTER_PATH")])])
        os.environ[APP_ENV] = "1"
        _voila_class().launch_instance(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
