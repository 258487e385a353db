"""Serve a Reflex app's production backend alone: no frontend build, no compile.

`python -m benchmarks.backend PORT`, run with the app's folder (where its rxconfig.py is)
as the working directory. Socket clients speak to /_event and need no pages, so the load
benchmark starts the portal and the bare app this way: nothing is written to a .web folder
and the browser tests' build is left alone. It is the same call `harmony-portal serve`
makes (``launcher.serve_backend``) without mounting the built frontend.
"""

from __future__ import annotations

import sys


def serve(port: int, host: str = "127.0.0.1") -> None:
    from reflex.environment import environment
    from reflex.utils import exec as reflex_exec
    from reflex_base import constants
    from reflex_base.config import get_config

    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)
    get_config()._set_persistent(frontend_port=port, backend_port=port)
    reflex_exec.run_backend_prod(host, port, constants.LogLevel.WARNING, mount_frontend_compiled_app=False)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
