"""The build backend: setuptools, after fetching the UI's pinned front-end library.

A wheel or sdist built from the repository carries ``static/vendor/htmx.min.js`` (fetched from
the npm registry and checked against its published sha512 by ``stixflow/web/assets.py``, as
``make run`` does), so ``pip install`` / ``pipx install`` give a working web UI. Building from an
sdist, which already holds the file, fetches nothing.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from setuptools import build_meta
from setuptools.build_meta import *  # noqa: F403  (the rest of the PEP 517 hooks, unchanged)

ASSETS_SCRIPT = Path("src") / "stixflow" / "web" / "assets.py"


def _fetch_assets() -> None:
    spec = importlib.util.spec_from_file_location("stixflow_assets", ASSETS_SCRIPT)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {ASSETS_SCRIPT}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    module.main()


def build_wheel(
    wheel_directory: str,
    config_settings: dict[str, Any] | None = None,
    metadata_directory: str | None = None,
) -> str:
    _fetch_assets()
    return build_meta.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_sdist(sdist_directory: str, config_settings: dict[str, Any] | None = None) -> str:
    _fetch_assets()
    return build_meta.build_sdist(sdist_directory, config_settings)


def build_editable(
    wheel_directory: str,
    config_settings: dict[str, Any] | None = None,
    metadata_directory: str | None = None,
) -> str:
    _fetch_assets()
    return build_meta.build_editable(wheel_directory, config_settings, metadata_directory)
