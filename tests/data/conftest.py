"""Fixtures shared by the data tests: a local HTTP server, so that downloads are tested without the internet."""

from __future__ import annotations

import functools
import http.server
import threading
from types import SimpleNamespace

import pytest


@pytest.fixture
def local_server(tmp_path, monkeypatch):
    """A local HTTP server on 127.0.0.1 serving ``served/``; ``requests`` lists the paths asked for."""
    root = tmp_path / "served"
    root.mkdir()
    seen: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            super().do_GET()

        def log_message(self, format, *args):  # keep the test output quiet
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    for var in ("NO_PROXY", "no_proxy"):  # a proxy setting must not capture 127.0.0.1
        monkeypatch.setenv(var, "127.0.0.1,localhost")
    try:
        yield SimpleNamespace(root=root, url=f"http://127.0.0.1:{server.server_address[1]}/", requests=seen)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
