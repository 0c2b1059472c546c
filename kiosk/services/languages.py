"""Which language people read: the associate's and the manager's own, the customer's."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from kiosk.choices import Language
from kiosk.models import Claim, Store, UserLanguage
from kiosk.services.drafts import ClaimNotEditable


def user_language(*, user: AbstractBaseUser) -> str:
    """The language this person chose for themselves, or "" (then their store's)."""
    try:
        return user.language_setting.language
    except UserLanguage.DoesNotExist:
        return ""


def user_store_language(*, user: AbstractBaseUser) -> str:
    """The language of the person's store (the first, if several), or "" without one."""
    store = Store.objects.filter(members=user).order_by("pk").only("language").first()
    return store.language if store is not None else ""


def user_set_language(*, user: AbstractBaseUser, language: str) -> None:
    """Set the language a person works in; "" goes back to their store's.

    Raises ValueError for a language the portal does not have.
    """
    if language and language not in Language.values:
        raise ValueError(f"Not one of the portal's languages: {language[:20]!r}.")
    UserLanguage.objects.update_or_create(user=user, defaults={"language": language})


def claim_set_customer_language(*, claim: Claim, language: str) -> Claim:
    """Set the language the customer reads the claim in (the review they sign, the printed
    and emailed copies). Nothing sent to OrderProtection depends on it.

    Raises ValueError for a language the portal does not have, ClaimNotEditable once the
    claim was submitted (what the customer signed stays in the language they read).
    """
    if language not in Language.values:
        raise ValueError(f"Not one of the portal's languages: {language[:20]!r}.")
    with transaction.atomic():
        locked = Claim.objects.select_for_update().editable().filter(pk=claim.pk).first()
        if locked is None:
            raise ClaimNotEditable(f"Claim {claim.reference} was sent meanwhile.")
        if locked.customer_language != language:
            locked.customer_language = language
            locked.save(update_fields=["customer_language", "updated_at"])
    claim.customer_language = language
    return claim
