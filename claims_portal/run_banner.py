"""What `make run` prints once the portal answers: the addresses a tablet can open, and the
demo logins, framed, after the server's own start-up lines.

    python -m claims_portal.run_banner --host 0.0.0.0 --port 8000 --logins FILE

It waits until the portal answers (or --wait-seconds pass), then prints. Standard
library only, and no Django: it starts in a few milliseconds, beside the server.
"""

import argparse
import fcntl
import ipaddress
import socket
import struct
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

# Linux's ioctl that reads an interface's IPv4 address (include/uapi/linux/sockios.h).
SIOCGIFADDR = 0x8915
WILDCARDS = {"0.0.0.0", "::", ""}


def _interface_address(sock: socket.socket, name: str) -> str | None:
    try:
        answer = fcntl.ioctl(sock.fileno(), SIOCGIFADDR, struct.pack("256s", name[:15].encode()))
    except OSError:  # no IPv4 address on it, or not Linux
        return None
    return socket.inet_ntoa(answer[20:24])


def _outbound_address() -> str | None:
    """The address this machine would send from (a UDP connect sends no packet)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("192.0.2.1", 9))  # TEST-NET-1: never reached
        except OSError:
            return None
        return sock.getsockname()[0]


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback and link-local, in interface order."""
    found: list[str] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _, name in socket.if_nameindex():
            if (address := _interface_address(sock, name)) is not None:
                found.append(address)
    if (outbound := _outbound_address()) is not None:
        found.append(outbound)
    kept = []
    for address in found:
        ip = ipaddress.IPv4Address(address)
        if not (ip.is_loopback or ip.is_link_local or ip.is_unspecified) and address not in kept:
            kept.append(address)
    return kept


def portal_urls(host: str, port: int) -> tuple[list[str], str]:
    """The URLs to open from another machine (none if the server listens on loopback only),
    and the one for this machine."""
    local = f"http://127.0.0.1:{port}/"
    if host in WILDCARDS:
        return [f"http://{address}:{port}/" for address in lan_addresses()], local
    if _is_loopback(host):
        return [], f"http://{host}:{port}/"
    return [f"http://{host}:{port}/"], local


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


# What the buffering front (claims_portal/front.py) answers while gunicorn is still starting.
FRONT_WITHOUT_APP = (502, 504)


def wait_for_portal(host: str, port: int, *, seconds: float) -> bool:
    """Whether the portal answers an HTTP request within `seconds` (any status but the
    front's 502 and 504, which say gunicorn behind it is not up yet): its workers are up
    then, so the server's start-up lines are printed already."""
    address = "127.0.0.1" if host in WILDCARDS else host
    url = f"http://{address}:{port}/healthz"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except urllib.error.HTTPError as error:
            if error.code not in FRONT_WITHOUT_APP:
                return True
            time.sleep(0.2)
        except OSError:
            time.sleep(0.2)
    return False


def framed(lines: list[str], *, width: int = 76) -> str:
    """The lines in a frame, each wrapped to `width` under its own indent."""
    wrapped = []
    for line in lines:
        indent = " " * (len(line) - len(line.lstrip()))
        wrapped += textwrap.wrap(
            line, width, subsequent_indent=indent + "  ", break_on_hyphens=False
        ) or [""]
    width = max(len(line) for line in wrapped)
    rule = "+" + "-" * (width + 2) + "+"
    return "\n".join([rule, *(f"| {line:<{width}} |" for line in wrapped), rule])


def banner(*, host: str, port: int, logins: list[str], notes: list[str]) -> str:
    remote, local = portal_urls(host, port)
    lines = ["The Store Claims Portal is running.", ""]
    if remote:
        lines.append("On a tablet on this network, open:")
        lines += [f"    {url}" for url in remote]
        lines.append(f"On this machine: {local}")
    elif host in WILDCARDS:
        lines.append("No network address found: a tablet cannot reach this machine.")
        lines.append(f"On this machine: {local}")
    else:
        lines.append(f"Open {local} (this machine only: HOST={host}).")
    if logins:
        lines += ["", *logins]
    if notes:
        lines += ["", *notes]
    lines += ["", "Stop with Ctrl+C."]
    return framed(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--logins", help="a file of lines to print in the frame (-: standard input)"
    )
    parser.add_argument("--note", action="append", default=[], help="a line under the logins")
    parser.add_argument("--wait-seconds", type=float, default=120)
    args = parser.parse_args(argv)
    if not wait_for_portal(args.host, args.port, seconds=args.wait_seconds):
        print(f"The portal did not answer on port {args.port}.", file=sys.stderr)
        return 1
    text = ""
    if args.logins == "-":
        text = sys.stdin.read()
    elif args.logins:
        text = Path(args.logins).read_text()
    logins = [line.rstrip() for line in text.splitlines() if line.strip()]
    notes = [note for note in args.note if note]
    print(banner(host=args.host, port=args.port, logins=logins, notes=notes), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
