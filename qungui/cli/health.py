"""``qungui health``: ask a running bot's health endpoint (or the review
page's) how it is; the exit status says healthy (0) or not (1). The
container's HEALTHCHECK."""

from __future__ import annotations

import sys

from qungui.cli import arguments, command
from qungui.cli.common import settings_from


def configure(sp):
    sp.add_argument("--url", help="the endpoint (default: http://HEALTH_HOST:HEALTH_PORT/healthz "
                                  "from the settings; the review page's is "
                                  "http://127.0.0.1:8080/healthz)")
    sp.add_argument("--timeout", type=float, default=4.0, help="seconds to wait (default 4)")


@command("health", "ask the running bot's health endpoint; exit 0 when healthy",
         "GET the live bot's /healthz (BOT_HEALTH_PORT; on 127.0.0.1 when BOT_HEALTH_HOST is "
         "0.0.0.0) or the review page's, print the answer and exit 0 when it is healthy, 1 "
         "when not or when nothing answers.")
@arguments(configure)
async def run(args) -> int:
    import urllib.error
    import urllib.request

    url = args.url
    if not url:
        settings = settings_from(args)
        if not settings.health_port:
            print("the health endpoint is off (set BOT_HEALTH_PORT)", file=sys.stderr)
            return 1
        host = "127.0.0.1" if settings.health_host in ("0.0.0.0", "::", "") else settings.health_host
        host = f"[{host}]" if ":" in host else host
        url = f"http://{host}:{settings.health_port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=args.timeout) as response:   # noqa: S310
            body, status = response.read().decode("utf-8", "replace"), response.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read().decode("utf-8", "replace"), exc.code
    except (urllib.error.URLError, OSError) as exc:
        print(f"{url}: no answer ({getattr(exc, 'reason', exc)})", file=sys.stderr)
        return 1
    print(body.strip())
    return 0 if status == 200 else 1
