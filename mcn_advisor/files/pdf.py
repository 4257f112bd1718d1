"""HTML printed to PDF by a headless Chromium or Chrome, driven over the DevTools pipe.

``print_pdf(html, day)`` is what ``--format pdf`` runs: it starts the browser with a
fresh temporary profile, loads the page from a temporary file, prints it with the
page's own ``@page`` size and margins, and pins the PDF's two dates to ``day`` (the
assessment date), so the same report on the same browser and fonts gives the same
bytes. ``Browser`` is the client underneath, also used by the browser tests, which
measure pages and print many reports through one browser.

The DevTools protocol runs over ``--remote-debugging-pipe``: Chromium reads commands on
its fd 3 and writes replies on its fd 4, each a JSON object ended by a NUL byte. No
port is opened and nothing beyond the standard library is needed. POSIX only (the
pipe ends are handed over as file descriptors).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mcn_advisor.errors import InputError, os_reason, say

INSTALL_HINT = (
    "--format pdf needs Chromium or Google Chrome: install one (Debian/Ubuntu: apt-get install chromium; "
    "macOS: brew install --cask chromium) or point CHROME_PATH at it; "
    "or write --format html and print it from a browser"
)
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
MAC_APPS = (
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
)
FLAGS = (
    "--headless",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",  # no update checks or other calls home
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--mute-audio",
    "--hide-scrollbars",  # a scrollbar would take 15 px of the page's width
    "--font-render-hinting=none",  # the same glyph advances on screen and in the PDF
    "--log-level=3",  # fatal errors only: a machine without a session bus is noisy
)
A4_CONTENT_PX = 680  # 210 mm less two 15 mm margins, at 96 px per inch: the report's @page
TIMEOUT = 60.0  # seconds the browser may take to answer one command (a long report prints in ~1 s)


def find_browser() -> str | None:
    """The browser to print with: ``$CHROME_PATH``, else the first Chromium or Chrome found."""
    chosen = os.environ.get("CHROME_PATH")
    if chosen:
        return chosen
    for name in NAMES:
        path = shutil.which(name)
        if path:
            return path
    return next((app for app in MAC_APPS if sys.platform == "darwin" and os.path.exists(app)), None)


class BrowserError(InputError):
    """The browser is missing, would not start, or failed to answer."""


class Browser:
    """A headless Chromium or Chrome with a fresh profile, driven over the DevTools pipe.

    Use it as a context manager: the browser and its temporary profile are gone after.
    """

    def __init__(self, executable: str | None = None, timeout: float = TIMEOUT):
        exe = executable or find_browser()
        if exe is None:
            raise BrowserError(INSTALL_HINT)
        path = shutil.which(exe)
        if path is None:
            raise BrowserError(
                say(
                    "{exe}: no such browser (not found or not executable); {hint}", exe=exe, hint=INSTALL_HINT
                )
            )
        if os.name != "posix":
            raise BrowserError(say("--format pdf drives the browser over a pipe, which needs Linux or macOS"))
        self.executable = exe
        self.timeout = timeout
        self._broken = False
        self.folder = Path(tempfile.mkdtemp(prefix="mcn-advisor-browser-"))
        # Our ends stay ours (close-on-exec). The browser's ends go to fds 10 and up, and a
        # tiny Python trampoline moves them to 3 and 4 before it becomes the browser: no
        # preexec_fn (unsafe with threads), no shell (dash takes single-digit fds only).
        commands_r, self._commands = os.pipe()
        self._replies, replies_w = os.pipe()
        theirs = []
        for fd in (commands_r, replies_w):
            theirs.append(_fd_above_9(fd))
            os.close(fd)
        args = [
            *FLAGS,
            f"--user-data-dir={self.folder / 'profile'}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(0, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-S", "-c", _TRAMPOLINE, *map(str, theirs), path, *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=tuple(theirs),
                env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": "disabled:"},
            )
        except OSError as exc:
            self._cleanup()
            raise BrowserError(
                say("{exe}: cannot start it ({reason})", exe=exe, reason=os_reason(exc))
            ) from None
        finally:
            for fd in theirs:
                os.close(fd)
        self._buffer = b""
        self._last_id = 0
        self._events: list[dict[str, Any]] = []
        try:
            self.send("Browser.getVersion")
        except BrowserError:
            self.close()
            raise

    # --- the protocol ----------------------------------------------------------------------

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        """Send one command and return its result (events that arrive meanwhile are kept)."""
        self._last_id += 1
        message: dict[str, Any] = {"id": self._last_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        try:
            os.write(self._commands, json.dumps(message).encode() + b"\0")
        except OSError:
            raise self._failed(say("{method}: the browser closed its pipe", method=method)) from None
        while True:
            reply = self._read()
            if reply.get("id") == self._last_id:
                if "error" in reply:
                    raise self._failed(f"{method}: {reply['error'].get('message', reply['error'])}")
                return reply.get("result", {})
            self._events.append(reply)

    def wait_for(self, event: str, session: str | None = None) -> dict[str, Any]:
        """The next ``event`` of ``session`` (one that already arrived first)."""
        for i, ev in enumerate(self._events):
            if ev.get("method") == event and ev.get("sessionId") == session:
                return self._events.pop(i)
        while True:
            ev = self._read()
            if ev.get("method") == event and ev.get("sessionId") == session:
                return ev
            self._events.append(ev)

    def _read(self) -> dict[str, Any]:
        import select

        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._replies], [], [], left)[0]:
                raise self._failed(say("no answer within {timeout} s", timeout=f"{self.timeout:g}"))
            chunk = os.read(self._replies, 1 << 20)
            if not chunk:
                try:
                    code = self.process.wait(5)
                except subprocess.TimeoutExpired:
                    code = None
                raise self._failed(say("it closed its pipe (exit code {code})", code=code))
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def _failed(self, why: str) -> BrowserError:
        self._broken = True  # close() stops it at once instead of asking it to
        return BrowserError(say("{exe}: the browser failed: {why}", exe=self.executable, why=why))

    # --- pages -------------------------------------------------------------------------------

    def open(self, url: str, *, media: str = "print", width: int = A4_CONTENT_PX, height: int = 1123) -> Page:
        """A new tab showing ``url``, laid out for ``media`` at ``width`` CSS px, once loaded."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, target, session)
        self.send("Page.enable", session=session)
        page.emulate(media, width, height)
        page.go(url)
        return page

    def close(self) -> None:
        """Stop the browser (politely, then by force) and remove its temporary profile."""
        if getattr(self, "process", None) is not None and self.process.poll() is None:
            try:
                if self._broken:
                    raise OSError("it failed: stop it")
                self._last_id += 1
                message = {"id": self._last_id, "method": "Browser.close"}
                os.write(self._commands, json.dumps(message).encode() + b"\0")
                self.process.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self._cleanup()

    def _cleanup(self) -> None:
        for fd in (self._commands, self._replies):
            with contextlib.suppress(OSError):  # already closed
                os.close(fd)
        self._commands = self._replies = -1
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Page:
    """One tab of a ``Browser``."""

    def __init__(self, browser: Browser, target: str, session: str):
        self.browser, self.target, self.session = browser, target, session

    def _send(self, method: str, params: dict[str, Any] | None = None) -> Any:
        return self.browser.send(method, params, self.session)

    def emulate(self, media: str, width: int, height: int) -> None:
        """Lay the page out for ``media`` ("print" or "screen") in a ``width`` x ``height`` viewport."""
        self._send("Emulation.setEmulatedMedia", {"media": media})
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
        self._send("Emulation.setDeviceMetricsOverride", metrics)

    def go(self, url: str) -> None:
        """Load ``url`` and wait for its load event (fonts and images included)."""
        self._send("Page.navigate", {"url": url})
        self.browser.wait_for("Page.loadEventFired", self.session)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-serialisable)."""
        params = {"expression": expression, "returnByValue": True, "awaitPromise": True}
        result = self._send("Runtime.evaluate", params)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise self.browser._failed(details.get("exception", {}).get("description", str(details)))
        return result["result"].get("value")

    def pdf(self) -> bytes:
        """The page printed to PDF with its CSS page size and margins, backgrounds included."""
        params = {"preferCSSPageSize": True, "printBackground": True, "displayHeaderFooter": False}
        return base64.b64decode(self._send("Page.printToPDF", params)["data"])

    def screenshot(self, width: int = 794, height: int = 1123) -> bytes:
        """A PNG of the top of the page as a screen shows it, ``width`` x ``height`` CSS px
        (794 x 1123 is an A4 sheet at 96 px per inch)."""
        self.emulate("screen", width, height)
        clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        return base64.b64decode(self._send("Page.captureScreenshot", {"format": "png", "clip": clip})["data"])

    def close(self) -> None:
        self.browser.send("Target.closeTarget", {"targetId": self.target})


_TRAMPOLINE = (
    "import os, sys\n"
    "commands, replies = int(sys.argv[1]), int(sys.argv[2])\n"
    "os.dup2(commands, 3); os.dup2(replies, 4); os.close(commands); os.close(replies)\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)


def _fd_above_9(fd: int) -> int:
    import fcntl

    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)


# Skia writes both dates, fixed width, in the uncompressed Info dictionary.
_DATES = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}")


def pin_dates(pdf: bytes, day: dt.date) -> bytes:
    """The PDF with its creation and modification dates set to ``day``, every byte offset kept."""
    stamp = day.strftime("%Y%m%d000000").encode()
    return _DATES.sub(lambda m: b"/" + m[1] + b" (D:" + stamp, pdf)


def print_pdf(html: str, day: dt.date, executable: str | None = None) -> bytes:
    """``html`` (a self-contained page) printed to PDF, dated ``day``."""
    with Browser(executable) as browser:
        source = browser.folder / "report.html"
        source.write_text(html, encoding="utf-8")
        page = browser.open(source.as_uri())
        return pin_dates(page.pdf(), day)
