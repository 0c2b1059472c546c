"""Who may open what: every URL of the portal, for every kind of user, with exactly its status.

The URLs come from the URL configuration itself, so a new URL fails this test until it
is given its row below. Each row reads: anonymous, associate of store A, associate of
store B, manager of A, manager of B, superuser, and a tablet signed in to store A with
nobody unlocked. The objects named belong to store A. Pages are fetched with GET; the
URLs that only take a POST are posted to (POSTED), each request rolled back after.
"""

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from kiosk.models import Claim, ClaimAttachment, DeliveryAttempt, ManagerAction, Product
from kiosk.roles import STORE_MANAGERS
from kiosk.services.tablets import TABLET_COOKIE, pin_set, tablet_sign_in
from tests.conftest import attach
from tests.factories import ClaimFactory, StoreFactory, UserFactory
from tests.images import image_bytes

# anonymous, associate A, associate B, manager A, manager B, superuser, tablet
EXPECTED = {
    "^media/(?P<path>claims/.+)$": "200 200 200 200 200 200 200",
    "admin:(?P<url>.*)$": "302 302 302 404 404 404 302",
    "admin:<path:object_id>/": "302 302 302 302 302 302 302",
    "admin:app_list": "302 302 302 200 200 200 302",
    "admin:auth_group_add": "302 302 302 403 403 200 302",
    "admin:auth_group_change": "302 302 302 403 403 200 302",
    "admin:auth_group_changelist": "302 302 302 403 403 200 302",
    "admin:auth_group_delete": "302 302 302 403 403 200 302",
    "admin:auth_group_history": "302 302 302 403 403 200 302",
    "admin:auth_user_add": "302 302 302 403 403 200 302",
    "admin:auth_user_change": "302 302 302 403 403 200 302",
    "admin:auth_user_changelist": "302 302 302 403 403 200 302",
    "admin:auth_user_delete": "302 302 302 403 403 200 302",
    "admin:auth_user_history": "302 302 302 403 403 200 302",
    "admin:auth_user_password_change": "302 302 302 403 403 200 302",
    "admin:autocomplete": "302 302 302 403 403 403 302",
    "admin:axes_accessattempt_add": "302 302 302 403 403 403 302",
    "admin:axes_accessattempt_change": "302 302 302 403 403 302 302",
    "admin:axes_accessattempt_changelist": "302 302 302 403 403 200 302",
    "admin:axes_accessattempt_delete": "302 302 302 403 403 302 302",
    "admin:axes_accessattempt_history": "302 302 302 302 302 302 302",
    "admin:axes_accessfailurelog_add": "302 302 302 403 403 403 302",
    "admin:axes_accessfailurelog_change": "302 302 302 403 403 302 302",
    "admin:axes_accessfailurelog_changelist": "302 302 302 403 403 200 302",
    "admin:axes_accessfailurelog_delete": "302 302 302 403 403 302 302",
    "admin:axes_accessfailurelog_history": "302 302 302 302 302 302 302",
    "admin:axes_accesslog_add": "302 302 302 403 403 403 302",
    "admin:axes_accesslog_change": "302 302 302 403 403 302 302",
    "admin:axes_accesslog_changelist": "302 302 302 403 403 200 302",
    "admin:axes_accesslog_delete": "302 302 302 403 403 302 302",
    "admin:axes_accesslog_history": "302 302 302 302 302 302 302",
    "admin:django_tasks_database_dbtaskresult_add": "302 302 302 403 403 403 302",
    "admin:django_tasks_database_dbtaskresult_change": "302 302 302 403 403 302 302",
    "admin:django_tasks_database_dbtaskresult_changelist": "302 302 302 403 403 200 302",
    "admin:django_tasks_database_dbtaskresult_delete": "302 302 302 403 403 403 302",
    "admin:django_tasks_database_dbtaskresult_history": "302 302 302 302 302 302 302",
    "admin:index": "302 302 302 200 200 200 302",
    "admin:jsi18n": "302 302 302 200 200 200 302",
    "admin:kiosk_associatepin_add": "302 302 302 200 200 200 302",
    "admin:kiosk_associatepin_change": "302 302 302 200 404 200 302",
    "admin:kiosk_associatepin_changelist": "302 302 302 200 200 200 302",
    "admin:kiosk_associatepin_delete": "302 302 302 403 404 200 302",
    "admin:kiosk_associatepin_history": "302 302 302 200 404 200 302",
    "admin:kiosk_claim_add": "302 302 302 403 403 403 302",
    "admin:kiosk_claim_change": "302 302 302 200 404 200 302",
    "admin:kiosk_claim_changelist": "302 302 302 200 200 200 302",
    "admin:kiosk_claim_dashboard": "302 302 302 200 200 200 302",
    "admin:kiosk_claim_delete": "302 302 302 403 404 403 302",
    "admin:kiosk_claim_export": "302 302 302 200 200 200 302",
    "admin:kiosk_claim_history": "302 302 302 200 404 200 302",
    # A decision on the claim's risk: recorded, then back to the claim (302); another
    # store's claim is a 404.
    "admin:kiosk_claim_risk_decide": "302 302 302 302 404 302 302",
    "admin:kiosk_lockout_add": "302 302 302 403 403 403 302",
    "admin:kiosk_lockout_change": "302 302 302 404 404 404 302",
    "admin:kiosk_lockout_changelist": "302 302 302 200 200 200 302",
    "admin:kiosk_lockout_delete": "302 302 302 404 404 404 302",
    "admin:kiosk_lockout_history": "302 302 302 404 404 404 302",
    "admin:kiosk_manageraction_add": "302 302 302 403 403 403 302",
    "admin:kiosk_manageraction_change": "302 302 302 200 404 200 302",
    "admin:kiosk_manageraction_changelist": "302 302 302 200 200 200 302",
    "admin:kiosk_manageraction_delete": "302 302 302 403 404 403 302",
    "admin:kiosk_manageraction_history": "302 302 302 200 404 200 302",
    "admin:barcode_sheet": "302 302 302 200 200 200 302",
    "admin:kiosk_product_add": "302 302 302 403 403 200 302",
    "admin:kiosk_product_change": "302 302 302 200 404 200 302",
    "admin:kiosk_product_changelist": "302 302 302 200 200 200 302",
    "admin:kiosk_product_delete": "302 302 302 403 404 403 302",
    "admin:kiosk_product_history": "302 302 302 200 404 200 302",
    "admin:kiosk_product_import": "302 302 302 200 200 200 302",
    "admin:kiosk_store_add": "302 302 302 403 403 200 302",
    "admin:kiosk_store_change": "302 302 302 200 404 200 302",
    "admin:kiosk_store_changelist": "302 302 302 200 200 200 302",
    "admin:kiosk_store_delete": "302 302 302 403 404 200 302",
    "admin:kiosk_store_history": "302 302 302 200 404 200 302",
    "admin:kiosk_deliveryattempt_add": "302 302 302 403 403 403 302",
    "admin:kiosk_deliveryattempt_change": "302 302 302 200 404 200 302",
    "admin:kiosk_deliveryattempt_changelist": "302 302 302 200 200 200 302",
    "admin:kiosk_deliveryattempt_delete": "302 302 302 403 404 403 302",
    "admin:kiosk_deliveryattempt_history": "302 302 302 200 404 200 302",
    "admin:kiosk_tablet_add": "302 302 302 403 403 403 302",
    "admin:kiosk_tablet_change": "302 302 302 200 404 200 302",
    "admin:kiosk_tablet_changelist": "302 302 302 200 200 200 302",
    "admin:kiosk_tablet_delete": "302 302 302 403 404 403 302",
    "admin:kiosk_tablet_history": "302 302 302 200 404 200 302",
    "admin:kiosk_webhookevent_add": "302 302 302 403 403 403 302",
    "admin:kiosk_webhookevent_change": "302 302 302 403 403 302 302",
    "admin:kiosk_webhookevent_changelist": "302 302 302 403 403 200 302",
    "admin:kiosk_webhookevent_delete": "302 302 302 403 403 403 302",
    "admin:kiosk_webhookevent_history": "302 302 302 302 302 302 302",
    "admin:login": "200 200 200 302 302 302 200",
    "admin:logout": "302 302 302 302 302 302 302",
    "admin:password_change": "302 302 302 200 200 200 302",
    "admin:password_change_done": "302 302 302 200 200 200 302",
    "admin:view_on_site": "302 302 302 404 404 404 302",
    "favicon": "301 301 301 301 301 301 301",
    "healthz": "200 200 200 200 200 200 200",
    "healthz-delivery": "200 200 200 200 200 200 200",
    "kiosk:catalog-copy": "302 404 404 404 404 404 302",
    "kiosk:catalog-search": "302 200 404 404 404 404 302",
    "kiosk:claim-coverage": "302 200 404 404 404 404 302",
    "kiosk:claim-discard": "302 200 404 404 404 404 302",
    "kiosk:claim-new": "302 302 404 302 404 404 302",
    "kiosk:claim-receipt": "302 200 404 200 404 404 302",
    "kiosk:claim-result": "302 200 404 200 404 404 302",
    "kiosk:claim-resume": "302 302 404 404 404 404 302",
    "kiosk:claim-step": "302 200 404 404 404 404 302",
    "kiosk:claim-submit": "302 302 404 404 404 404 302",
    "kiosk:claim-language": "302 302 404 404 404 404 302",
    # Each person's own language: anyone signed in may set theirs.
    "kiosk:associate-language": "302 302 302 302 302 302 302",
    "kiosk:customer-claims": "302 200 200 200 200 200 302",
    "kiosk:home": "302 200 200 200 200 200 302",
    "kiosk:lock": "302 302 302 302 302 302 302",
    # The offline page names nobody; the shells are for a store's tablet only.
    "kiosk:offline": "302 200 200 200 200 200 200",
    "kiosk:home-shell": "302 404 404 404 404 404 302",
    "kiosk:review-shell": "302 404 404 404 404 404 302",
    "kiosk:result-shell": "302 404 404 404 404 404 302",
    "kiosk:step-shell": "302 404 404 404 404 404 302",
    "kiosk:scanner-worker": "200 200 200 200 200 200 200",
    "kiosk:service-worker": "200 200 200 200 200 200 200",
    # No outbox token: refused to all, as signed out off a tablet.
    "kiosk:outbox": "403 403 403 403 403 403 403",
    "kiosk:photo": "302 200 404 200 404 200 302",
    "kiosk:photo-remove": "302 200 404 404 404 404 302",
    "kiosk:photo-thumbnail": "302 200 404 200 404 200 302",
    "kiosk:photo-upload": "302 201 404 404 404 404 302",
    "kiosk:postal-code-place": "302 200 200 200 200 200 302",
    "kiosk:still-here": "302 204 204 204 204 204 302",
    "kiosk:subdivisions": "302 200 200 200 200 200 302",
    "kiosk:tablet-setup": "302 403 403 200 200 200 302",
    "kiosk:unlock": "302 302 302 302 302 302 200",
    "kiosk:unlock-pin": "302 302 302 302 302 302 200",
    "login": "200 200 200 200 200 200 200",
    "logout": "302 302 302 302 302 302 302",
    "orderprotection-webhook": "401 401 401 401 401 401 401",
    "password_change": "302 200 200 200 200 200 302",
    "password_change_done": "302 200 200 200 200 200 302",
    "password_reset": "200 200 200 200 200 200 200",
    "password_reset_complete": "200 200 200 200 200 200 200",
    "password_reset_confirm": "200 200 200 200 200 200 200",
    "password_reset_done": "200 200 200 200 200 200 200",
}
WHO = ("anonymous", "associate A", "associate B", "manager A", "manager B", "superuser", "tablet")


def url_names() -> list[str]:
    """Every named URL of the portal, namespaced; the media route by its prefix."""

    def walk(resolver, namespace=""):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, [namespace, pattern.namespace]))
                yield from walk(pattern, inner)
            elif isinstance(pattern, URLPattern):
                # Unnamed URLs (the admin's redirects, public media) by their route.
                yield ":".join(filter(None, [namespace, pattern.name or str(pattern.pattern)]))

    return sorted(set(walk(get_resolver())))


class World:
    """Two stores, their people, and store A's claim, draft, photo and tablet."""

    def __init__(self):
        self.store_a = StoreFactory(name="A", source_store_id="store_a")
        self.store_b = StoreFactory(name="B", source_store_id="store_b")
        managers = Group.objects.get(name=STORE_MANAGERS)
        self.users = {}
        for who, store in (("associate A", self.store_a), ("associate B", self.store_b)):
            self.users[who] = UserFactory(username=who.replace(" ", "_").lower())
            store.members.add(self.users[who])
        for who, store in (("manager A", self.store_a), ("manager B", self.store_b)):
            user = UserFactory(username=who.replace(" ", "_").lower(), is_staff=True)
            user.groups.add(managers)
            store.members.add(user)
            self.users[who] = user
        self.users["superuser"] = UserFactory(username="root", is_staff=True, is_superuser=True)
        associate_a = self.users["associate A"]
        pin_set(user=associate_a, pin="4821", by=None)
        self.claim = ClaimFactory(
            store=self.store_a,
            created_by=associate_a,
            status=Claim.Status.FILED,
            submitted_at=timezone.now(),
        )
        self.draft = ClaimFactory(store=self.store_a, created_by=associate_a)
        self.photo = attach(self.claim, ClaimAttachment.Kind.ITEM, image_bytes("JPEG"))
        self.draft_photo = attach(self.draft, ClaimAttachment.Kind.ITEM, image_bytes("JPEG"))
        self.tablet, self.tablet_cookie = tablet_sign_in(
            store=self.store_a, name="Counter", manager=self.users["manager A"]
        )
        attempt = DeliveryAttempt.objects.create(
            claim=self.claim, number=1, url="https://api.test/v1/claims/offline", request_body={}
        )
        action = ManagerAction.objects.create(
            user=self.users["manager A"], claim=self.claim, action="retry", reason="test"
        )
        product = Product.objects.create(name="Kettle")
        product.stores.add(self.store_a)
        self.objects = {
            "kiosk_claim": self.claim.pk,
            "kiosk_product": product.pk,
            "kiosk_deliveryattempt": attempt.pk,
            "kiosk_manageraction": action.pk,
            "kiosk_webhookevent": 999_999,
            "kiosk_lockout": 999_999,
            "kiosk_store": self.store_a.pk,
            "kiosk_tablet": self.tablet.pk,
            "kiosk_associatepin": associate_a.kiosk_pin.pk,
            "auth_user": associate_a.pk,
            "auth_group": managers.pk,
            "axes_accessattempt": 999_999,
            "axes_accesslog": 999_999,
            "axes_accessfailurelog": 999_999,
            "django_tasks_database_dbtaskresult": "00000000-0000-4000-8000-000000000000",
        }

    def url(self, name: str) -> str:
        from django.contrib.contenttypes.models import ContentType

        kiosk_kwargs = {
            "kiosk:claim-result": {"reference": self.claim.reference},
            "kiosk:claim-receipt": {"reference": self.claim.reference},
            "kiosk:claim-step": {"reference": self.draft.reference, "step": "customer"},
            "kiosk:unlock-pin": {"user_id": self.users["associate A"].pk},
            "kiosk:step-shell": {"step": "customer"},
            "kiosk:photo": {"pk": self.photo.pk},
            "kiosk:photo-thumbnail": {"pk": self.photo.pk},
            "kiosk:photo-remove": {"reference": self.draft.reference, "pk": self.draft_photo.pk},
            "password_reset_confirm": {"uidb64": "MQ", "token": "set-password"},
            "admin:app_list": {"app_label": "kiosk"},
            "admin:view_on_site": {
                "content_type_id": ContentType.objects.get_for_model(Claim).pk,
                "object_id": self.claim.pk,
            },
            "admin:auth_user_password_change": {"id": self.users["associate A"].pk},
            "admin:kiosk_claim_risk_decide": {"object_id": self.claim.pk},
        }
        if name in kiosk_kwargs:
            return reverse(name, kwargs=kiosk_kwargs[name])
        if name == "kiosk:postal-code-place":
            return reverse(name) + "?country=US&postal_code=10001"
        if name.startswith("^media/"):
            return f"/media/{self.photo.file.name}"
        if name == "admin:(?P<url>.*)$":
            return "/admin/nowhere/"
        if name == "admin:<path:object_id>/":
            return f"/admin/kiosk/claim/{self.claim.pk}/"
        draft_urls = ("resume", "discard", "submit", "coverage", "language")
        draft_pages = {"kiosk:photo-upload", "kiosk:catalog-search"}
        if name in {f"kiosk:claim-{view}" for view in draft_urls} | draft_pages:
            return reverse(name, kwargs={"reference": self.draft.reference})
        model, _, view = name.removeprefix("admin:").rpartition("_")
        if model in self.objects and view in ("change", "delete", "history"):
            return reverse(name, kwargs={"object_id": self.objects[model]})
        return reverse(name)

    def client(self, who: str) -> Client:
        client = Client()
        if who == "tablet":
            client.cookies[TABLET_COOKIE] = self.tablet_cookie
        elif who != "anonymous":
            client.force_login(self.users[who])
        return client


# URLs that only take a POST are posted to, with what the page would send; whatever a
# request changes is rolled back before the next user's.
POSTED = {
    "kiosk:claim-new": lambda world: {"store": world.store_a.pk},
    "kiosk:claim-submit": lambda world: {},
    "kiosk:claim-language": lambda world: {"customer_language": "es-us", "next": "customer"},
    "kiosk:associate-language": lambda world: {"language": "es-us"},
    "kiosk:photo-upload": lambda world: {
        "kind": "item",
        "photo": SimpleUploadedFile("p.jpg", image_bytes("JPEG"), "image/jpeg"),
    },
    "kiosk:photo-remove": lambda world: {},
    "kiosk:outbox": lambda world: {
        "id": "6f1c4bde-0d2a-4c55-9a57-0b8f1e1e2a3b",
        "kind": "start",
        "reference": "R-ABCDEFGH",
    },
    "kiosk:lock": lambda world: {},
    "kiosk:still-here": lambda world: {},
    "logout": lambda world: {},
    "admin:logout": lambda world: {},
    "admin:kiosk_claim_risk_decide": lambda world: {"verdict": "suspicious", "reason": "Odd"},
    "orderprotection-webhook": lambda world: {"topic": "claim/approved"},  # no secret
}


def statuses(world: World, name: str) -> str:
    url = world.url(name)
    answers = []
    for who in WHO:
        client = world.client(who)
        with transaction.atomic():
            posted = POSTED.get(name)
            response = client.post(url, posted(world)) if posted else client.get(url)
            transaction.set_rollback(True)
        answers.append(str(response.status_code))
    return " ".join(answers)


@pytest.fixture
def world(db, settings):
    settings.ORDERPROTECTION_WEBHOOK_SECRET = "matrix-secret"
    return World()


def test_every_url_answers_every_user_exactly_as_expected(world):
    names = url_names()
    assert set(names) == set(EXPECTED), "a URL was added or removed: give it its row"

    answered = {name: statuses(world, name) for name in names}

    wrong = {name: (got, EXPECTED[name]) for name, got in answered.items() if got != EXPECTED[name]}
    assert wrong == {}
    assert len(names) * len(WHO) == 966  # the matrix: 138 URLs × 7 users
