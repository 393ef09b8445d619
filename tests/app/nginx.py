"""A real nginx in front of the app for the tests, configured as ``docs/app.md`` tells an operator to.

Debian's ``nginx`` (or ``nginx-light``) binary, run in the foreground with a
configuration and logs of its own under a test's folder, on a free port: it
forwards ``/medtwin/`` to the app with Streamlit's WebSocket upgraded, request
bodies streamed (``proxy_request_buffering off``) and an 8 MB upload piece
allowed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Where Debian installs nginx.
NGINX = Path("/usr/sbin/nginx")

_CONF = """
{user}
worker_processes 1;
daemon off;
error_log {work}/error.log warn;
pid {work}/nginx.pid;
events {{ worker_connections 128; }}
http {{
    access_log {work}/access.log;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location /medtwin/ {{
            proxy_pass http://127.0.0.1:{app_port}{back};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_set_header Host $host;
            client_max_body_size 16m;
            proxy_request_buffering off;
            proxy_read_timeout 86400;
        }}
    }}
}}
"""


@contextmanager
def nginx_in_front(app_port: int, work: Path, port: int, back: str = "/") -> Iterator[Path]:
    """Serve ``http://127.0.0.1:PORT/medtwin/`` by nginx from the app on ``app_port`` (at its path
    ``back``) while the block runs; yields nginx's access log."""
    work.mkdir(parents=True, exist_ok=True)
    conf = work / "nginx.conf"
    user = "user root;" if os.geteuid() == 0 else ""  # workers may then write under a private folder
    conf.write_text(_CONF.format(user=user, work=work, port=port, app_port=app_port, back=back))
    with (work / "nginx.out").open("wb") as out:
        proc = subprocess.Popen([str(NGINX), "-p", str(work), "-c", str(conf)], stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not start: {(work / 'error.log').read_text()}") from None
                time.sleep(0.05)
        yield work / "access.log"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
