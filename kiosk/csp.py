"""Exceptions to the portal's Content-Security-Policy (settings.SECURE_CSP), each on the
one response that needs it."""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.csp import CSP


def policy_with_wasm() -> dict[str, list[str]]:
    """SECURE_CSP with `'wasm-unsafe-eval'` added to script-src: WebAssembly may be compiled,
    and nothing else is loosened (no eval of JavaScript, no inline script)."""
    policy = {directive: list(sources) for directive, sources in settings.SECURE_CSP.items()}
    script_src = policy.setdefault("script-src", list(policy.get("default-src", [CSP.SELF])))
    if CSP.WASM_UNSAFE_EVAL not in script_src:
        script_src.append(CSP.WASM_UNSAFE_EVAL)
    return policy


def csp_allow_wasm(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve a view's responses under `policy_with_wasm()` (Django's csp_override, with the
    policy read from the settings at each response rather than at import)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response._csp_config = policy_with_wasm()
        return response

    return wrapped
