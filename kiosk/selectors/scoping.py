"""Who may see what: a manager sees only the stores they work at, and on a store's
tablet, whoever unlocked it acts for that store alone."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from kiosk.models import Claim, DeliveryAttempt, ManagerAction, Store, Tablet


def stores_visible_to(user: AbstractBaseUser, *, tablet: Tablet | None = None) -> QuerySet[Store]:
    """Every store for a superuser; otherwise the stores the user is a member of.

    On a signed-in tablet (`tablet`), only the tablet's store, whoever the user is.
    """
    stores = Store.objects.all() if user.is_superuser else Store.objects.filter(members=user)
    return _on_tablet(stores, tablet=tablet)


def associate_stores(*, associate: AbstractBaseUser, tablet: Tablet | None) -> QuerySet[Store]:
    """The stores an associate files claims for: those they work at; on a tablet, its store."""
    return _on_tablet(Store.objects.filter(members=associate), tablet=tablet)


def associate_claims(*, associate: AbstractBaseUser, tablet: Tablet | None) -> QuerySet[Claim]:
    """The claims an associate may open on the tablet's pages: their stores' claims (see
    `associate_stores`), and among drafts only those they started."""
    return Claim.objects.filter(
        store__in=associate_stores(associate=associate, tablet=tablet)
    ).exclude(Q(status=Claim.Status.DRAFT) & ~Q(created_by=associate))


def _on_tablet(stores: QuerySet[Store], *, tablet: Tablet | None) -> QuerySet[Store]:
    # A tablet is signed in to one store: an associate of several stores who unlocked it
    # acts there for that store only, as the manager who signed it in intended.
    return stores if tablet is None else stores.filter(pk=tablet.store_id)


def claims_visible_to(user: AbstractBaseUser, claims: QuerySet[Claim] | None = None):
    claims = Claim.objects.all() if claims is None else claims
    if user.is_superuser:
        return claims
    # The ids themselves, not a subquery: the planner then knows how few stores these are,
    # and tests them inside the list's covering index.
    return claims.filter(store_id__in=list(stores_visible_to(user).values_list("pk", flat=True)))


def attempts_visible_to(user: AbstractBaseUser, attempts: QuerySet | None = None):
    attempts = DeliveryAttempt.objects.all() if attempts is None else attempts
    if user.is_superuser:
        return attempts
    return attempts.filter(claim__store__in=stores_visible_to(user))


def manager_actions_visible_to(user: AbstractBaseUser, actions: QuerySet | None = None):
    """A superuser sees every action; a manager their own, and those on their stores' claims."""
    actions = ManagerAction.objects.all() if actions is None else actions
    if user.is_superuser:
        return actions
    return actions.filter(user=user) | actions.filter(claim__store__in=stores_visible_to(user))


def products_visible_to(user: AbstractBaseUser, products: QuerySet | None = None):
    """A superuser sees the whole catalog; a manager the products sold at their stores."""
    from kiosk.models import Product

    products = Product.objects.all() if products is None else products
    if user.is_superuser:
        return products
    links = Product.stores.through.objects.filter(store__in=stores_visible_to(user))
    return products.filter(pk__in=links.values("product_id"))
