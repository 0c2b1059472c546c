"""Who may see what at the desk: a manager sees only the stores they work at."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from kiosk.models import Claim, ManagerAction, Store, SubmissionAttempt


def stores_visible_to(user: AbstractBaseUser) -> QuerySet[Store]:
    """Every store for a superuser; otherwise the stores the user is a member of."""
    if user.is_superuser:
        return Store.objects.all()
    return Store.objects.filter(members=user)


def claims_visible_to(user: AbstractBaseUser, claims: QuerySet[Claim] | None = None):
    claims = Claim.objects.all() if claims is None else claims
    if user.is_superuser:
        return claims
    # The ids themselves, not a subquery: the planner then knows how few stores these are,
    # and tests them inside the list's covering index.
    return claims.filter(store_id__in=list(stores_visible_to(user).values_list("pk", flat=True)))


def attempts_visible_to(user: AbstractBaseUser, attempts: QuerySet | None = None):
    attempts = SubmissionAttempt.objects.all() if attempts is None else attempts
    if user.is_superuser:
        return attempts
    return attempts.filter(claim__store__in=stores_visible_to(user))


def manager_actions_visible_to(user: AbstractBaseUser, actions: QuerySet | None = None):
    """A superuser sees every action; a manager their own, and those on their stores' claims."""
    actions = ManagerAction.objects.all() if actions is None else actions
    if user.is_superuser:
        return actions
    return actions.filter(user=user) | actions.filter(claim__store__in=stores_visible_to(user))
