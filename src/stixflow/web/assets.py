"""Front-end libraries, pinned and fetched from the npm registry (no CDN at run time).

``python -m stixflow.web.assets`` downloads each pinned tarball once, checks its sha512
integrity (the value the registry publishes) and extracts the one file the UI serves into
``static/vendor/``. ``make run`` and ``make test`` call it; nothing else is needed to build.
"""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

VENDOR = Path(__file__).parent / "static" / "vendor"


@dataclass(frozen=True)
class Asset:
    package: str
    version: str
    integrity: str  # "sha512-<base64>", as in package-lock.json
    member: str  # path inside the tarball
    target: str  # file name under static/vendor

    @property
    def url(self) -> str:
        name = self.package.rsplit("/", 1)[-1]
        return f"https://registry.npmjs.org/{self.package}/-/{name}-{self.version}.tgz"


ASSETS = (
    Asset(
        package="htmx.org",
        version="2.0.11",
        integrity="sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA==",
        member="package/dist/htmx.min.js",
        target="htmx.min.js",
    ),
)


def missing() -> list[Asset]:
    return [asset for asset in ASSETS if not (VENDOR / asset.target).is_file()]


def fetch(asset: Asset, *, timeout: float = 60.0) -> bytes:
    """The asset's file from its registry tarball, after checking the tarball's integrity."""
    with urllib.request.urlopen(asset.url, timeout=timeout) as answer:
        tarball = answer.read()
    algorithm, expected = asset.integrity.split("-", 1)
    actual = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
    if actual != expected:
        raise RuntimeError(f"{asset.url}: integrity mismatch ({algorithm} {actual})")
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        member = archive.extractfile(asset.member)
        if member is None:
            raise RuntimeError(f"{asset.url}: no {asset.member} in the tarball")
        return member.read()


def main() -> int:
    VENDOR.mkdir(parents=True, exist_ok=True)
    for asset in missing():
        (VENDOR / asset.target).write_bytes(fetch(asset))
        print(f"fetched {asset.package}@{asset.version} -> static/vendor/{asset.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
