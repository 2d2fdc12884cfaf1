"""``clustersim ui``: start the browser UI (a Solara server running :mod:`clustersim.ui.app`).

The server runs as ``python -m solara run clustersim.ui.app`` in a child process of the same
interpreter, with an environment that keeps it off the internet:

* ``SOLARA_TELEMETRY_MIXPANEL_ENABLE=false``: no usage telemetry;
* ``SOLARA_ASSETS_PROXY=true``: the page loads every script, style and font from this server
  (``/_solara/cdn/...``), which serves the files the ``solara-assets`` package installed;
* ``SOLARA_ASSETS_CDN=http://127.0.0.1:9/``: a file missing from those assets would otherwise be
  fetched from a public CDN by the server; pointing the CDN at a closed local port turns that
  into a visible 404 (caught by the browser tests) instead of a silent request to the internet.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from clustersim.arguments import whole_number
from clustersim.scenario import ScenarioError, build_model, load_scenario

APP_MODULE = "clustersim.ui.app"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
#: a CDN address that can never answer: nothing is fetched from outside the machine
NO_CDN = "http://127.0.0.1:9/"


def add_ui(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ui", help="start the browser UI (works offline)",
                       description="Start the browser UI on this machine and print its address. One model per "
                                   "browser tab; every script, style and font is served locally.")
    p.add_argument("--scenario", type=Path, metavar="FILE",
                   help="scenario the page opens with (default: scenarios/held_package.toml); "
                        "the page's picker also lists scenarios/*.toml")
    p.add_argument("--host", default=DEFAULT_HOST,
                   help=f"address to listen on (default {DEFAULT_HOST}: this machine only; "
                        "0.0.0.0 lets other machines on the network in)")
    p.add_argument("--port", type=whole_number(1, 65535), default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--lang", choices=("zh", "en"),
                   help="language both pages open in until the user picks one with their 中文 / English switch "
                        "(default: the model page in English, the package lab in Chinese)")
    p.set_defaults(handler=cmd_ui)


def server_environment(base: Mapping[str, str], scenario: Path | None, lang: str | None = None) -> dict[str, str]:
    """The environment of the server process: ``base`` plus the offline settings (module
    docstring), the scenario and the language to open with."""
    from clustersim.ui.session import LANG_ENV, SCENARIO_ENV

    env = dict(base)
    env.update({
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
        "SOLARA_ASSETS_PROXY": "true",
        "SOLARA_ASSETS_CDN": NO_CDN,
        # Solara warns on every plain-http page load that it cannot set samesite=none cookies; harmless here
        "PYTHONWARNINGS": ",".join(filter(None, [base.get("PYTHONWARNINGS", ""),
                                                 "ignore:Cookies with samesite=none require https"])),
    })
    if scenario is not None:
        env[SCENARIO_ENV] = str(scenario.resolve())
    else:
        env.pop(SCENARIO_ENV, None)
    if lang is not None:
        env[LANG_ENV] = lang
    else:
        env.pop(LANG_ENV, None)
    return env


def server_command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "solara", "run", APP_MODULE, "--host", host, "--port", str(port),
            "--production", "--no-open", "--log-level", "warning"]


def address(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cmd_ui(args: argparse.Namespace) -> int:
    if args.scenario is not None:
        build_model(load_scenario(args.scenario), source=args.scenario)  # a ScenarioError exits with status 2
    check_port_free(args.host, args.port)  # a ScenarioError exits with status 2, before any address is printed
    print(f"ClusterSim UI at {address(args.host, args.port)}  (Ctrl+C stops it)", flush=True)
    if not _is_loopback(args.host):
        print(f"note: listening on {args.host}: other machines on the network can open the page", flush=True)
    server = subprocess.Popen(server_command(args.host, args.port), env=server_environment(os.environ, args.scenario,
                                                                                          args.lang))
    previous = signal.signal(signal.SIGTERM, _exit_on_term)
    try:
        return server.wait()
    except KeyboardInterrupt:  # Ctrl+C reaches the server too (same process group)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        _stop(server)


def check_port_free(host: str, port: int) -> None:
    """ScenarioError (one line, exit status 2) when ``host:port`` cannot be listened on, e.g. because
    another program (an earlier ``clustersim ui``?) already does; suggests another ``--port``."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        raise ScenarioError("--host", "host", host, f"not an address of this machine ({err.strerror})") from None
    family, kind, proto, _, where = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # as the server binds (uvicorn sets SO_REUSEADDR): a port in TIME_WAIT is free, one listened on is not
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(where)
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise ScenarioError("--port", "port", port, f"{address(host, port)} is already in use (another "
                                    f"clustersim ui?); stop it or choose a free port, e.g. --port {_next_port(port)}"
                                    ) from None
            raise ScenarioError("--host", "host", host, f"cannot listen there: {err.strerror}") from None


def _next_port(port: int) -> int:
    return port + 1 if port < 65535 else 1024


def _exit_on_term(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through cmd_ui's ``finally``, which stops the server


def _stop(server: subprocess.Popen) -> None:
    """Stop the server process (no orphan left listening on the port)."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
