"""Runs medallion (the OASIS TAXII 2.1 reference server) for the tests: ``python medallion_app.py
CONFIG PORT``.

medallion itself only knows HTTP basic authentication. To test our bearer-token path against the
same real server, the config may carry ``"bearer_tokens": {"<token>": "<user>"}``: a WSGI layer in
front of medallion turns ``Authorization: Bearer <token>`` into that user's basic credentials (an
unknown token is passed on unchanged, so medallion answers 401 itself). Everything else is
medallion's own code, started as its ``medallion`` command does.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable, Iterable
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def bearer_to_basic(app: WsgiApp, tokens: dict[str, str], users: dict[str, str]) -> WsgiApp:
    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        header = environ.get("HTTP_AUTHORIZATION", "")
        if header.lower().startswith("bearer "):
            user = tokens.get(header[7:].strip())
            if user is not None:
                pair = f"{user}:{users[user]}".encode()
                environ["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(pair).decode()
        return app(environ, start_response)

    return wrapped


def main() -> None:
    config_path, port = sys.argv[1], int(sys.argv[2])
    from medallion import load_app

    with open(config_path, encoding="utf-8") as handle:
        config = json.load(handle)
    app = load_app(config_path)
    app.wsgi_app = bearer_to_basic(  # type: ignore[method-assign]
        app.wsgi_app, config.get("bearer_tokens", {}), config.get("users", {})
    )
    app.run(host="127.0.0.1", port=port, threaded=True)


if __name__ == "__main__":
    main()
