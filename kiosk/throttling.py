"""How django-axes counts wrong passwords and wrong PINs: the callables its settings name.

- A wrong PIN counts against the person it was tried for, as "pin:<username>", apart from
  their password: a password lockout leaves their PIN on the store's tablets working.
  Neither the tablet, its address nor its browser string counts, so nothing tried on one
  tablet locks another tablet, or anyone else.
- A wrong password counts against the person, and (off a signed-in tablet) against the
  device: its client address and browser string.
- The client address is REMOTE_ADDR, or, when TRUSTED_PROXY_COUNT says proxies are in front,
  the address the outermost of them put in X-Forwarded-For. A signed-in tablet has no
  address for axes: it is throttled by its people.
- A success resets only the successful person's own counter for what they signed in with
  (kiosk.services.lockouts). A PIN also has a weekly cap there, which no success resets:
  only time, or a manager clearing the lockout at the desk.
"""

import ipaddress
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest

from kiosk.services.lockouts import PIN_PREFIX

PIN_PAD_VIEW = "kiosk:unlock-pin"


def on_pin_pad(request: HttpRequest | None) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and match.view_name == PIN_PAD_VIEW


def _on_tablet(request) -> bool:
    return isinstance(request, HttpRequest) and getattr(request, "tablet", None) is not None


def attempt_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """AXES_USERNAME_CALLABLE: whose counter an attempt is on."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username")
    if username and on_pin_pad(request):
        return PIN_PREFIX + username
    return username


def client_address(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE."""
    if _on_tablet(request):
        return None
    return forwarded_client_address(request)


def forwarded_client_address(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    # Each proxy appends the address it was called from; what the client sent is left of them.
    if len(hops) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-proxies]))
    except ValueError:
        return remote


def lockout_parameters(request_or_attempt, credentials: dict | None = None) -> list:
    """AXES_LOCKOUT_PARAMETERS: the person; and, for passwords off a tablet, the device."""
    if not isinstance(request_or_attempt, HttpRequest):
        return ["username"]
    if on_pin_pad(request_or_attempt) or _on_tablet(request_or_attempt):
        return ["username"]
    return ["username", ["ip_address", "user_agent"]]


def failure_limit(request: HttpRequest, credentials: dict | None) -> int:
    """AXES_FAILURE_LIMIT."""
    if on_pin_pad(request):
        return settings.KIOSK_PIN_FAILURE_LIMIT
    return settings.PASSWORD_FAILURE_LIMIT


def cooloff(request: HttpRequest | None) -> timedelta:
    """AXES_COOLOFF_TIME (each attempt keeps its own expiry: AXES_USE_ATTEMPT_EXPIRATION)."""
    if on_pin_pad(request):
        return settings.KIOSK_PIN_COOLOFF
    return settings.PASSWORD_COOLOFF
