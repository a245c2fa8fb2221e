"""Reproductions a person can run: one curl command per request a failing check sent.

What was sent, exactly: every header the request carried (only the HTTP client's own defaults are left
out), credentials other than the default fixture's as `<redacted>`, bytes a terminal cannot show escaped
in bash's `$'...'` quoting, and nothing longer than a screen holds sensibly: a body over 4 KiB, or any
argument whose quoted form is over `MAX_ARGUMENT` characters, goes to a file beside the report and is
sent with `--data-binary @file` (a header with `-H @file`, a URL with `-K file`). A command longer than
one line is continued with `\\` (docs/contract-checks.md, "Reports").
"""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

IN_PROCESS_ROOT = "http://testserver"
SERVED_ROOT = "http://127.0.0.1:8000"
INLINE_BODY = 4096  # bytes; a bigger body is written to a file
MAX_ARGUMENT = 1000  # characters of one quoted argument on a line
ONE_LINE = 160  # a command up to this long stays on one line

# What the HTTP client (httpx, starlette's TestClient, schemathesis) adds on its own, with its own value:
# a reproduction leaves them out, curl sends its own. A generated header of the same name is kept.
_CLIENT_DEFAULTS = {
    "accept": {"*/*"},
    "accept-encoding": {"gzip, deflate", "gzip, deflate, br", "gzip, deflate, zstd", "gzip, deflate, br, zstd"},
    "connection": {"keep-alive"},
}
_ALWAYS_LEFT_OUT = frozenset({"host", "content-length", "user-agent", "x-schemathesis-testcaseid"})


def shell_quote(text: str) -> str:
    """`text` as one bash word: plain quoting when every character is printable, else `$'...'` with
    escapes (so a NUL, an escape sequence or a stray surrogate never reaches the terminal raw)."""
    if text.isprintable():
        return shlex.quote(text)
    out = []
    for char in text:
        code = ord(char)
        if char in "\\'":
            out.append("\\" + char)
        elif char.isprintable() and not 0xD800 <= code <= 0xDFFF:
            out.append(char)
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "$'" + "".join(out) + "'"


class Files:
    """Where long bodies, headers and URLs are written (created on first use), named by content."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def write(self, data: bytes, suffix: str) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{hashlib.sha256(data).hexdigest()[:16]}{suffix}"
        if not path.exists():
            path.write_bytes(data)
        return path


@dataclass(frozen=True, slots=True)
class Recorded:
    """One request a check sent, and the status it got (None: no response)."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    status: int | None

    def as_curl(self, secrets: Iterable[str] = (), files: Files | None = None) -> str:
        """The curl command that repeats this request (`curl` below)."""
        return curl(self, secrets, files)


def curl(entry: Recorded, secrets: Iterable[str] = (), files: Files | None = None) -> str:
    """The curl command that sends `entry` again (the status it got as a trailing comment)."""
    files = files or default_files()
    hidden = [secret for secret in secrets if secret]
    url = entry.url.replace(IN_PROCESS_ROOT, SERVED_ROOT, 1) if entry.url.startswith(IN_PROCESS_ROOT) else entry.url
    groups = [f"curl -sS -X {shell_quote(entry.method)} {_long(url, files, '-K')}"]
    for name, value in entry.headers:
        lowered = name.lower()
        if lowered in _ALWAYS_LEFT_OUT or value in _CLIENT_DEFAULTS.get(lowered, ()):
            continue
        for secret in hidden:
            value = value.replace(secret, "<redacted>")
        groups.append(f"-H {_long(f'{name}: {value}', files, '-H')}")
    if entry.body:
        groups.append(_body(entry.body, files))
    status = f"# -> {entry.status}" if entry.status is not None else "# -> no response"
    line = " ".join(groups)
    if len(line) <= ONE_LINE:
        return f"{line}  {status}"
    return " \\\n  ".join(groups) + f"  {status}"


def default_files() -> Files:
    import tempfile

    return Files(Path(tempfile.gettempdir()) / "ticketfakes-check-files")


def _long(raw: str, files: Files, option: str) -> str:
    """`raw` quoted, or (too long for a line) a file curl reads it from: `-K` a URL, `-H` a header."""
    quoted = shell_quote(raw)
    if len(quoted) <= MAX_ARGUMENT:
        return quoted
    if option == "-K":  # a curl config file: url = "..."
        escaped = raw.replace("\\", "\\\\").replace('"', '\\"')
        return "-K " + shell_quote(str(files.write(f'url = "{escaped}"\n'.encode(), ".curlrc")))
    return "@" + shell_quote(str(files.write(raw.encode("utf-8", "surrogatepass") + b"\n", ".header")))


def _body(body: bytes, files: Files) -> str:
    """`--data-raw 'text'`, or `--data-binary @file` for a body over 4 KiB, too long to quote on a line,
    or not UTF-8 (the file holds the exact bytes)."""
    try:
        quoted = shell_quote(body.decode("utf-8"))
    except UnicodeDecodeError:
        quoted = ""
    if not quoted or len(body) > INLINE_BODY or len(quoted) > MAX_ARGUMENT:
        return "--data-binary @" + shell_quote(str(files.write(body, ".body")))
    return f"--data-raw {quoted}"
