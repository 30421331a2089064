"""Serve a built site with real nginx and the nginx-headers.conf the build wrote."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_config(site: Path, port: int, work: Path, api_port: int | None = None,
                 access_log: Path | None = None, http_extra: str = "",
                 server_extra: str = "") -> str:
    mime = Path("/etc/nginx/mime.types")
    types = (f"include {mime};" if mime.is_file()
             else "types { text/html html; text/css css; application/javascript js; }")
    api = (f"location /api/ {{ proxy_pass http://127.0.0.1:{api_port}; "
           "proxy_set_header X-Forwarded-For $remote_addr; }" if api_port else "")
    return f"""
user root;
daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 256; }}
http {{
    {types}
    types {{ image/avif avif; image/webp webp; application/wasm wasm; }}
    {f"access_log {access_log};" if access_log else "access_log off;"}
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    {http_extra}
    server {{
        listen 127.0.0.1:{port};
        root {site};
        error_page 404 /404.html;
        include {site}/nginx-headers.conf;
        {server_extra}
        {api}
    }}
}}
"""


def need_nginx() -> None:
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed (scripts/test installs it with apt-get)")


def nginx_accepts(files: dict[str, bytes], work: Path) -> None:
    """Write a built site (path -> bytes) under ``work`` and have ``nginx -t`` check the
    configuration that includes its nginx-headers.conf."""
    need_nginx()
    site, conf = work / "site", work / "nginx"
    for rel, data in files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(data)
    conf.mkdir(parents=True)
    (conf / "nginx.conf").write_text(nginx_config(site, 8, conf))
    check = subprocess.run([NGINX, "-t", "-c", str(conf / "nginx.conf"), "-p", str(conf)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


@contextmanager
def nginx_serving(site: Path, api_port: int | None = None, port: int = 0,
                  access_log: Path | None = None, http_extra: str = "",
                  server_extra: str = "") -> Iterator[str]:
    """The site at http://127.0.0.1:<port>/, headers and all, until the block ends (on a
    free port unless one is given; requests logged to ``access_log`` if given)."""
    need_nginx()
    if not port:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="masthead-nginx-") as folder:
        work = Path(folder)
        (work / "nginx.conf").write_text(nginx_config(site, port, work, api_port, access_log,
                                                      http_extra, server_extra))
        process = subprocess.Popen([NGINX, "-c", str(work / "nginx.conf"), "-p", str(work)],
                                   stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError as exc:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"nginx did not start: {process.stderr.read()}"
                                           if process.stderr else "nginx did not start"
                                           ) from exc
                    time.sleep(0.05)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)
            if process.stderr:
                process.stderr.close()
