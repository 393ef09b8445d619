"""The app's upload route served alone in a process of its own, for a test that kills and restarts it.

``python tests/app/upload_server.py FOLDER PORT`` serves the route (as ``medtwin app`` does, without
the pages) on 127.0.0.1:PORT over the upload store in FOLDER, and prints one line: a token a page
session would have registered.
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from scenarios.ui.upload_routes import upload_routes
from scenarios.ui.upload_store import UploadStore


def main(folder: Path, port: int) -> None:
    store = UploadStore((".xyz",), folder)
    print(store.register(), flush=True)
    uvicorn.run(Starlette(routes=upload_routes(store)), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
