"""The languages of a page: `lang` attributes, and the customer's toggle."""

from django import template
from django.conf import settings
from django.utils import translation

register = template.Library()


@register.filter
def html_lang(language_code: str) -> str:
    """ "es-us" -> "es": the `lang` attribute of a part of a page in that language."""
    return translation.get_supported_language_variant(language_code or "").split("-")[0]


@register.simple_tag
def language_options(current: str) -> list[dict]:
    """The portal's languages, each named in itself, with whether it is the current one."""
    return [
        {"code": code, "name": name, "lang": html_lang(code), "current": code == current}
        for code, name in settings.LANGUAGES
    ]
