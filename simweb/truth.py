"""Read ``simweb/ground_truth.yaml``, optionally with the serving port put into every URL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml

PATH = Path(__file__).with_name("ground_truth.yaml")
BROKEN_HOSTS = {"gone.jj.test", "www.hg8868.jj.test"}  # linked without a port; neither has a DNS record  # linked as http://gone.jj.test/ (no port): the name does not resolve
_URL_KEYS = {"urls", "targets", "list_url", "url", "js_list_urls"}


def with_port(url: str, port: int) -> str:
    """Add the simulated web's HTTP port to a ``*.jj.test`` URL (other URLs, e.g. gone.jj.test, too)."""
    parts = urlsplit(url)
    if parts.port or not parts.hostname or parts.hostname in BROKEN_HOSTS:
        return url
    return urlunsplit((parts.scheme, f"{parts.hostname}:{port}", parts.path, parts.query, parts.fragment))


def without_port(url: str) -> str:
    """The form the ground truth uses: ``http://host/path?query`` (compare findings' URLs through this)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.hostname or "", parts.path or "/", parts.query, ""))


def _walk(node, port: int):
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k in _URL_KEYS and isinstance(v, str):
                out[k] = with_port(v, port)
            elif k in _URL_KEYS and isinstance(v, list):
                out[k] = [with_port(u, port) for u in v]
            else:
                out[k] = _walk(v, port)
        return out
    if isinstance(node, list):
        return [_walk(v, port) for v in node]
    return node


def load(http_port: int | None = None, path: Path = PATH) -> dict:
    truth = yaml.safe_load(path.read_text(encoding="utf-8"))
    return _walk(truth, http_port) if http_port else truth
