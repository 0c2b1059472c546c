"""Authentication by PIN on a signed-in store tablet (django-axes throttles it)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from kiosk.services.tablets import pin_matches


class TabletPinBackend(ModelBackend):
    """An associate of the tablet's store, by username and PIN.

    Called as `authenticate(request, username=..., pin=..., tablet=...)`, so that
    django-axes counts a wrong PIN like a wrong password, per user and per device.
    """

    def authenticate(self, request, username=None, pin=None, tablet=None, **kwargs):
        if username is None or pin is None or tablet is None:
            return None
        user = (
            get_user_model()._default_manager.filter(username=username, stores=tablet.store).first()
        )
        if user is None or not pin_matches(user=user, pin=pin):
            return None
        return user if self.user_can_authenticate(user) else None
