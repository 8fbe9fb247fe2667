"""Headless Chromium driven over the DevTools protocol: open a page, collect console errors,
failed and network requests, evaluate JavaScript, take screenshots, print to PDF.

    with Browser.start(tmp_path) as browser:
        page = browser.open("file:///.../report.html")
        page.errors, page.requests, page.evaluate("document.title"), page.screenshot(path)

Network access is cut off (every host name resolves to nothing), so a page that needs the
network shows it as failed requests and console errors.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """The Chromium executable: ``$OMNIREC_CHROMIUM`` or the first of the usual names on PATH."""
    found = os.environ.get("OMNIREC_CHROMIUM")
    if found:
        return found if shutil.which(found) else None
    return next((p for p in map(shutil.which, CANDIDATES) if p), None)


@dataclass
class Page:
    """One tab: what it logged and requested since it was opened."""

    ws: ClientConnection
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def send(self, method: str, timeout: float = 60.0, **params: Any) -> dict[str, Any]:
        """Call ``method`` and wait for its reply, recording the events that arrive meanwhile."""
        msg_id = next(self._ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            msg = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return dict(msg.get("result") or {})
            self._event(msg)

    def wait_for(self, event: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            msg = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            self._event(msg)
            if msg.get("method") == event:
                return dict(msg.get("params") or {})

    def _event(self, msg: dict[str, Any]) -> None:
        method, params = msg.get("method"), msg.get("params") or {}
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append(
                "console: " + " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
            )
        elif method == "Runtime.exceptionThrown":
            self.errors.append("exception: " + json.dumps(params.get("exceptionDetails", {}))[:500])
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            self.errors.append(
                f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".strip()
            )
        elif method == "Network.requestWillBeSent":
            self.requests.append(str(params.get("request", {}).get("url", "")))
        elif method == "Network.loadingFailed":
            self.errors.append(f"request failed: {params.get('errorText')}")

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, *, full_page: bool = True) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            width, height = self.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            params.update(
                captureBeyondViewport=True,
                clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
            )
        data = self.send("Page.captureScreenshot", **params)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def pdf(self) -> bytes:
        return base64.b64decode(
            self.send("Page.printToPDF", printBackground=True, preferCSSPageSize=False)["data"]
        )


class Browser:
    """A headless Chromium process with its DevTools endpoint."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.proc, self.port, self.log = proc, port, log

    @classmethod
    @contextlib.contextmanager
    def start(
        cls, workdir: Path, executable: str | None = None, width: int = 1280, height: int = 900
    ) -> Iterator[Browser]:
        exe = executable or find_chromium()
        if exe is None:
            raise FileNotFoundError("no Chromium found (chromium, chromium-browser, google-chrome)")
        log = workdir / "chromium.log"
        args = [
            exe,
            "--headless=new",
            "--remote-debugging-port=0",
            "--remote-debugging-address=127.0.0.1",
            f"--user-data-dir={workdir / 'profile'}",
            f"--window-size={width},{height}",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-gpu",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND",  # no network: a page that needs it fails visibly
            "about:blank",
        ]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        with log.open("wb") as out:
            proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            port = cls._port(proc, log, workdir / "profile" / "DevToolsActivePort")
            yield cls(proc, port, log)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    @staticmethod
    def _port(proc: subprocess.Popen[bytes], log: Path, active: Path, timeout: float = 60.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if active.is_file() and active.read_text().strip():
                return int(active.read_text().split()[0])
            match = re.search(rb"DevTools listening on ws://[^:]+:(\d+)/", log.read_bytes())
            if match:
                return int(match.group(1))
            if proc.poll() is not None:
                raise RuntimeError(
                    f"Chromium exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}"
                )
            time.sleep(0.1)
        raise RuntimeError(
            f"Chromium did not open its DevTools port: {log.read_text(errors='replace')[-2000:]}"
        )

    @contextlib.contextmanager
    def open(self, url: str, timeout: float = 60.0) -> Iterator[Page]:
        """A new tab at ``url``, loaded (its load event fired) and recording from the start."""
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/json/new?about:blank", method="PUT")
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            target = json.loads(resp.read())
        with connect(target["webSocketDebuggerUrl"], max_size=None, open_timeout=timeout) as ws:
            page = Page(ws)
            for domain in ("Page", "Runtime", "Log", "Network"):
                page.send(f"{domain}.enable")
            page.send("Page.navigate", url=url)
            page.wait_for("Page.loadEventFired", timeout=timeout)
            yield page
