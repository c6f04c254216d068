"""Serve a built site on 127.0.0.1 and open it in Chromium with every other host refused.

Shared by the tests (conftest.py's browser fixture, test_site.py) and benchmarks/site_latency.py.
"""

import contextlib
import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path():
    for candidate in (
        os.environ.get("CHROMIUM"),
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(directory):
    """A static file server for `directory` on a free port of 127.0.0.1; yields its origin."""
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class OfflineContext:
    """A browser context in which only `origin` answers: any other request is aborted and recorded,
    with every console error, page error and failed or refused request of the pages opened in it."""

    def __init__(self, browser, origin, **context_args):
        self.origin = origin
        self.refused, self.errors = [], []
        self.context = browser.new_context(**context_args)
        self.context.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        if urlsplit(url).netloc == urlsplit(self.origin).netloc:
            route.continue_()
        else:
            self.refused.append(url)
            route.abort("blockedbyclient")

    def new_page(self):
        page = self.context.new_page()
        page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on(
            "requestfailed", lambda r: self.errors.append(f"request failed: {r.url} ({r.failure})")
        )
        page.on(
            "response",
            lambda r: r.status >= 400 and self.errors.append(f"HTTP {r.status}: {r.url}"),
        )
        return page

    def close(self):
        self.context.close()
