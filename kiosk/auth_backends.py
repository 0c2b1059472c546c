"""Authentication by PIN on a signed-in store tablet (django-axes throttles it)."""

from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest

from kiosk.services.tablets import PIN_BACKEND, pin_holders, pin_matches


class TabletPinBackend(ModelBackend):
    """An associate of the tablet's store, by username and PIN.

    Called as `authenticate(request, username=..., pin=..., tablet=...)`, so that
    django-axes counts a wrong PIN against the person (kiosk/throttling.py). Someone with
    more rights than an associate is never authenticated by PIN, even with an old PIN.
    """

    def authenticate(self, request, username=None, pin=None, tablet=None, **kwargs):
        if username is None or pin is None or tablet is None:
            return None
        user = pin_holders().filter(username=username, stores=tablet.store).first()
        if user is None or not pin_matches(user=user, pin=pin):
            return None
        return user if self.user_can_authenticate(user) else None

    def get_user(self, user_id):
        """The session's associate, with their language setting (LanguageMiddleware reads
        it on every request): one query instead of two on each of the tablet's requests."""
        users = get_user_model()._default_manager.select_related("language_setting")
        try:
            user = users.get(pk=user_id)
        except ObjectDoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def pin_session(request: HttpRequest) -> bool:
    """Whether the session was opened by PIN: an associate's tablet session, never the desk's."""
    session = getattr(request, "session", None)
    return session is not None and session.get(BACKEND_SESSION_KEY) == PIN_BACKEND
