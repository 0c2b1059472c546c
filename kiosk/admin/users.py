"""People's own language, set where users are managed (the desk's Users, for superusers)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from kiosk.models import UserLanguage

User = get_user_model()


class UserLanguageInline(admin.StackedInline):
    model = UserLanguage
    can_delete = False
    extra = 1
    max_num = 1


if admin.site.is_registered(User):
    registered = type(admin.site.get_model_admin(User))
    admin.site.unregister(User)
else:
    registered = UserAdmin


@admin.register(User)
class PersonAdmin(registered):
    inlines = [*registered.inlines, UserLanguageInline]
