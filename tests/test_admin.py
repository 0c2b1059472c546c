"""The manager's desk: who sees what, the record that cannot be rewritten, the claim list."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from kiosk.models import Claim, ClaimAttachment, DeliveryAttempt, ManagerAction
from kiosk.roles import ASSOCIATES, STORE_MANAGERS
from tests.conftest import attach
from tests.factories import ClaimFactory, StoreFactory, UserFactory
from tests.images import image_bytes, signature_png

CHANGELIST = "admin:kiosk_claim_changelist"


def manager_of(store, username: str):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=STORE_MANAGERS))
    store.members.add(user)
    return user


def filed(store, number: str, **fields) -> Claim:
    claim = ClaimFactory(
        store=store,
        status=Claim.Status.FILED,
        claim_number=number,
        submitted_at=timezone.now(),
        request_payload={"storeId": store.source_store_id, "issueType": "DEFECTIVE_ITEM"},
        response_body={"status": "ok", "payload": {"sourceOrderId": number}},
        **fields,
    )
    attach(claim, ClaimAttachment.Kind.ITEM, image_bytes("JPEG"))
    attach(claim, ClaimAttachment.Kind.SIGNATURE, signature_png())
    DeliveryAttempt.objects.create(
        claim=claim,
        number=1,
        url="http://sandbox/v1/claims/offline",
        request_body=claim.request_payload,
        status_code=201,
        outcome="filed",
        duration_ms=4321,
        decision=f"filed as {number}",
        response_body='{"status":"ok"}',
    )
    return claim


@pytest.fixture
def desk(db):
    """Two stores, a manager of each, a superuser, and a claim at each store."""

    class Desk:
        store_a = StoreFactory(name="Uptown", source_store_id="store_a")
        store_b = StoreFactory(name="Harbour", source_store_id="store_b")
        manager_a = manager_of(store_a, "manager_a")
        manager_b = manager_of(store_b, "manager_b")
        superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
        claim_a = filed(
            store_a, "SB-1111-1111", customer_email="alice@example.com", ship_last_name="Archer"
        )
        claim_b = filed(
            store_b,
            "SB-2222-2222",
            customer_email="bob@example.com",
            customer_phone="+12125550147",
            ship_first_name="Bob",
            ship_last_name="Baker",
            item_sku="SKU-B-7",
        )

    return Desk


def as_user(client, user):
    client.force_login(user)
    return client


def listed(client, **params) -> str:
    return client.get(reverse(CHANGELIST), params).content.decode()


# -- who sees what -----------------------------------------------------------------------


def test_roles_are_groups_with_their_permissions(db):
    managers = Group.objects.get(name=STORE_MANAGERS)
    codenames = set(managers.permissions.values_list("codename", flat=True))

    assert {"view_claim", "retry_delivery", "export_claims"} <= codenames
    assert not codenames & {"change_claim", "delete_claim", "change_store"}
    assert not Group.objects.get(name=ASSOCIATES).permissions.exists()


def test_an_associate_has_no_admin_access(client, desk):
    associate = UserFactory(username="ash")
    associate.groups.add(Group.objects.get(name=ASSOCIATES))
    desk.store_a.members.add(associate)

    response = as_user(client, associate).get(reverse(CHANGELIST))

    assert response.status_code == 302 and "/admin/login/" in response.url


def test_a_manager_lists_searches_and_filters_only_their_stores_claims(client, desk):
    as_user(client, desk.manager_b)

    assert desk.claim_b.reference in listed(client)
    assert desk.claim_a.reference not in listed(client)
    assert desk.claim_a.reference not in listed(client, q="SB-1111-1111")
    assert desk.claim_a.reference not in listed(client, q="alice@example.com")
    assert desk.claim_a.reference not in listed(client, store=desk.store_a.pk)
    page = listed(client)
    assert "Harbour" in page and "Uptown" not in page  # the store filter's choices


def test_the_superuser_sees_every_store(client, desk):
    page = listed(as_user(client, desk.superuser))

    assert desk.claim_a.reference in page and desk.claim_b.reference in page


def test_another_stores_claim_or_attempt_by_its_url_is_a_404(client, desk):
    as_user(client, desk.manager_b)
    attempt_a = desk.claim_a.attempts.get()

    assert (
        client.get(reverse("admin:kiosk_claim_change", args=[desk.claim_a.pk])).status_code == 404
    )
    assert (
        client.get(reverse("admin:kiosk_claim_history", args=[desk.claim_a.pk])).status_code == 404
    )
    assert (
        client.get(reverse("admin:kiosk_deliveryattempt_change", args=[attempt_a.pk])).status_code
        == 404
    )
    attempts = client.get(reverse("admin:kiosk_deliveryattempt_changelist")).content.decode()
    assert "SB-2222-2222" in attempts and "SB-1111-1111" not in attempts
    own = client.get(reverse("admin:kiosk_claim_change", args=[desk.claim_b.pk]))
    assert own.status_code == 200


def test_another_stores_photos_are_on_no_page_a_manager_reaches(client, desk):
    as_user(client, desk.manager_b)
    photo_names = [a.file.name for a in desk.claim_a.attachments.all()]

    pages = [
        listed(client),
        client.get(reverse("admin:kiosk_claim_change", args=[desk.claim_b.pk])).content.decode(),
        client.get(reverse("admin:kiosk_claim_dashboard")).content.decode(),
    ]

    assert photo_names
    for page in pages:
        for name in photo_names:
            assert name not in page


def test_stores_are_read_only_for_their_managers(client, desk):
    as_user(client, desk.manager_b)
    own = reverse("admin:kiosk_store_change", args=[desk.store_b.pk])

    assert client.get(own).status_code == 200
    assert client.post(own, {"name": "Renamed"}).status_code == 403
    assert (
        client.get(reverse("admin:kiosk_store_change", args=[desk.store_a.pk])).status_code == 404
    )
    stores = client.get(reverse("admin:kiosk_store_changelist")).content.decode()
    assert "Harbour" in stores and "Uptown" not in stores


def test_only_a_superuser_changes_store_policy(client, desk):
    as_user(client, desk.superuser)
    page = client.get(reverse("admin:kiosk_store_change", args=[desk.store_b.pk]))

    assert b'name="receipt_required"' in page.content


# -- the record cannot be rewritten -------------------------------------------------------


@pytest.mark.parametrize("who", ["manager_b", "superuser"])
def test_nobody_edits_or_deletes_the_audit_record(client, desk, who):
    as_user(client, getattr(desk, who))
    claim = desk.claim_b
    attempt = claim.attempts.get()

    assert (
        client.post(reverse("admin:kiosk_claim_change", args=[claim.pk]), {"status": "draft"})
    ).status_code == 403
    assert client.post(reverse("admin:kiosk_claim_delete", args=[claim.pk])).status_code == 403
    assert (
        client.post(reverse("admin:kiosk_deliveryattempt_change", args=[attempt.pk]), {})
    ).status_code == 403
    assert (
        client.post(reverse("admin:kiosk_deliveryattempt_delete", args=[attempt.pk]))
    ).status_code == 403
    assert client.get(reverse("admin:kiosk_claim_add")).status_code == 403
    claim.refresh_from_db()
    assert claim.status == Claim.Status.FILED and claim.attempts.count() == 1


def test_a_photo_a_sent_request_named_is_never_deleted(desk):
    from kiosk.services.attachments import attachment_delete

    claim = desk.claim_b
    photo = claim.attachments.get(kind=ClaimAttachment.Kind.ITEM)
    claim.request_payload = {"item": {"images": [f"https://media.test/{photo.file.name}"]}}
    claim.save()
    unsent = attach(claim, ClaimAttachment.Kind.RECEIPT, image_bytes("PNG"))

    attachment_delete(attachment=photo)
    attachment_delete(attachment=unsent)

    photo.refresh_from_db()
    assert photo.removed_at is not None and photo.file.storage.exists(photo.file.name)
    assert photo not in claim.attachments_of(ClaimAttachment.Kind.ITEM)
    assert not ClaimAttachment.objects.filter(pk=unsent.pk).exists()


# -- the claim page ----------------------------------------------------------------------


def test_the_claim_page_shows_images_json_timeline_and_times_with_seconds(client, desk):
    claim = desk.claim_b
    long_body = '{"status": "ok", "payload": {"note": "' + "x" * 5000 + '"}}'
    DeliveryAttempt.objects.filter(claim=claim).update(
        response_body=long_body, started_at=timezone.now().replace(second=42, microsecond=0)
    )
    as_user(client, desk.manager_b)

    page = client.get(reverse("admin:kiosk_claim_change", args=[claim.pk])).content.decode()

    assert page.count("class='audit-photo'") == 1
    assert "class='audit-signature'" in page
    assert "&quot;issueType&quot;: &quot;DEFECTIVE_ITEM&quot;" in page
    assert "x" * 5000 in page  # never cut off
    assert "&quot;payload&quot;: {\n" in page  # pretty-printed
    assert "4321" in page  # the attempt's duration, inline
    assert 'data-testid="timeline"' in page
    started = timezone.localtime(claim.attempts.get().started_at)
    assert started.strftime("%H:%M:42") in page


# -- the claim list ----------------------------------------------------------------------


def test_the_list_shows_the_columns_and_leaves_drafts_out(client, desk, settings):
    settings.DRAFT_ABANDONED_AFTER_DAYS = 7
    fresh = ClaimFactory(store=desk.store_b, status=Claim.Status.DRAFT)
    old = ClaimFactory(store=desk.store_b, status=Claim.Status.DRAFT)
    nine_days_ago = timezone.now() - datetime.timedelta(days=9)
    Claim.objects.filter(pk=old.pk).update(created_at=nine_days_ago, updated_at=nine_days_ago)
    as_user(client, desk.manager_b)

    page = listed(client)
    drafts = listed(client, drafts="only")
    abandoned = listed(client, drafts="abandoned")

    for text in ("SB-2222-2222", desk.claim_b.reference, "Filed", "Harbour", "Bob Baker"):
        assert text in page
    for text in ("bob@example.com", "Espresso machine", "Defective item", "Refund"):
        assert text in page
    assert fresh.reference not in page and old.reference not in page
    assert fresh.reference in drafts and "Draft, 0 days old" in drafts
    assert "Abandoned draft, 9 days old" in drafts
    assert old.reference in abandoned and fresh.reference not in abandoned


@pytest.mark.parametrize(
    "term",
    [
        "SB-2222-2222",
        "sb-2222-2222",
        "REFERENCE",
        "BOB@example.com",
        "(212) 555-0147",
        "212-555-0147",
        "+1 212 555 0147",
        "Bob",
        "baker",
        "Bob Baker",
        "sku-b-7",
    ],
)
def test_search_finds_a_claim_by_what_a_manager_types(client, desk, term):
    as_user(client, desk.manager_b)
    term = desk.claim_b.reference if term == "REFERENCE" else term

    assert desk.claim_b.reference in listed(client, q=term)


@pytest.mark.parametrize("term", ["bob@example", "555-0147", "Bak", "SB-2222"])
def test_search_does_not_match_parts(client, desk, term):
    assert desk.claim_b.reference not in listed(as_user(client, desk.manager_b), q=term)


def test_filters_narrow_the_list(client, desk):
    store = desk.store_b
    needs = filed(store, "SB-3333-3333", issue_type="DAMAGED", resolution="RESHIP")
    needs.status, needs.attention_reason = Claim.Status.NEEDS_ATTENTION, "gave_up"
    needs.claim_state = ""
    needs.save()
    desk.claim_b.claim_state = "APPROVED"
    desk.claim_b.submitted_at = timezone.now() - datetime.timedelta(days=20)
    desk.claim_b.save()
    as_user(client, desk.manager_b)
    b, n = desk.claim_b.reference, needs.reference

    def only(params) -> set[str]:
        page = listed(client, **params)
        return {ref for ref in (b, n) if ref in page}

    assert only({"status__exact": "needs_attention"}) == {n}
    assert only({"attention_reason__exact": "gave_up"}) == {n}
    assert only({"claim_state": "APPROVED"}) == {b}
    assert only({"store": store.pk}) == {b, n}
    assert only({"issue_type__exact": "DAMAGED"}) == {n}
    assert only({"resolution__exact": "RESHIP"}) == {n}
    assert only({"submitted": "7d"}) == {n}
    assert only({"submitted": "30d"}) == {b, n}
    assert only({"submitted": "today"}) == {n}
    old_day = timezone.localdate() - datetime.timedelta(days=20)
    assert only({"submitted_from": old_day, "submitted_to": old_day}) == {b}
    assert only({"undelivered": "1"}) == {n}


def test_queries_per_page_do_not_grow_with_the_rows(
    client, desk, django_assert_max_num_queries, monkeypatch
):
    for number in range(100):
        ClaimFactory(store=desk.store_b, status=Claim.Status.FILED, claim_number=f"N-{number}")
    as_user(client, desk.manager_b)
    client.get(reverse(CHANGELIST))  # warm: session, permissions

    def queries_for() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse(CHANGELIST))
        assert page.status_code == 200
        return len(captured)

    from kiosk.admin.claims import ClaimAdmin

    monkeypatch.setattr(ClaimAdmin, "list_per_page", 20)
    twenty = queries_for()
    monkeypatch.setattr(ClaimAdmin, "list_per_page", 100)
    hundred = queries_for()
    assert hundred == twenty
    with django_assert_max_num_queries(twenty):
        client.get(reverse(CHANGELIST))


def test_a_deep_page_lists_its_own_rows_newest_first(client, desk, monkeypatch):
    from datetime import timedelta

    from kiosk.admin.claims import ClaimAdmin

    start = timezone.now() + timedelta(days=1)  # newer than the fixture's claims
    for number in range(25):
        claim = filed(desk.store_b, f"P-{number:02d}")
        Claim.objects.filter(pk=claim.pk).update(submitted_at=start - timedelta(minutes=number))
    monkeypatch.setattr(ClaimAdmin, "list_per_page", 10)
    as_user(client, desk.manager_b)

    response = client.get(reverse(CHANGELIST), {"p": 2})

    listed_numbers = [claim.claim_number for claim in response.context["cl"].result_list]
    assert listed_numbers == [f"P-{number:02d}" for number in range(10, 20)]


# -- taking data out ---------------------------------------------------------------------


def csv_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def download_export(client, query: str = ""):
    """What Download CSV on the export page sends: a POST with the list's query string."""
    return client.post(reverse("admin:kiosk_claim_export") + query)


def test_export_of_everything_the_filters_match_is_scoped_and_recorded(client, desk):
    filed(desk.store_b, "SB-4444-4444", issue_type="DAMAGED")
    as_user(client, desk.manager_b)

    response = download_export(client, "?issue_type__exact=DAMAGED")
    everything = csv_rows(download_export(client))

    rows = csv_rows(response)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert [r["claim_number"] for r in rows] == ["SB-4444-4444"]
    assert {r["claim_number"] for r in everything} == {"SB-4444-4444", "SB-2222-2222"}
    export = ManagerAction.objects.filter(action="export").first()
    assert export.user == desk.manager_b
    assert export.detail["rows"] == 2  # the last export, of everything
    first = ManagerAction.objects.filter(action="export").last()
    assert first.detail == {"filters": {"issue_type__exact": "DAMAGED"}, "rows": 1}


def test_export_of_selected_claims_leaves_out_other_stores(client, desk):
    as_user(client, desk.manager_b)

    response = client.post(
        reverse(CHANGELIST),
        {"action": "export_selected", "_selected_action": [desk.claim_a.pk, desk.claim_b.pk]},
    )

    assert [r["claim_number"] for r in csv_rows(response)] == ["SB-2222-2222"]


def test_export_neutralises_cells_a_spreadsheet_would_run(client, desk):
    desk.claim_b.item_name = '=HYPERLINK("http://evil.test","click")'
    desk.claim_b.ship_first_name = "@SUM(A1)"
    desk.claim_b.item_sku = "\tTAB"
    desk.claim_b.save()
    as_user(client, desk.manager_b)

    row = csv_rows(download_export(client))[0]

    assert row["item"] == '\'=HYPERLINK("http://evil.test","click")'
    assert row["customer_first_name"] == "'@SUM(A1)"
    assert row["sku"] == "'\tTAB"
    # Grouped with spaces, the phone is neither a formula nor one big number: no apostrophe.
    assert row["customer_phone"] == "+1 212-555-0147"


def test_export_writes_labels_with_the_codes_beside_them_and_the_warranty(client, desk):
    claim = desk.claim_b
    claim.claim_state = "NEW"
    claim.date_of_purchase = datetime.date(2026, 3, 31)
    claim.warranty_period = "P2Y"
    claim.submitted_at = datetime.datetime(2028, 3, 31, 23, 30, tzinfo=datetime.UTC)
    claim.save()
    desk.store_b.time_zone = "America/Los_Angeles"  # 31 Mar 2028, 16:30 there
    desk.store_b.save()
    as_user(client, desk.manager_b)

    row = csv_rows(download_export(client))[0]

    assert (row["status"], row["status_code"]) == ("Filed", "filed")
    assert (row["state_at_orderprotection"], row["state_code"]) == (
        "Filed, not reviewed yet",
        "NEW",
    )
    assert (row["issue_type"], row["issue_type_code"]) == ("Defective item", "DEFECTIVE_ITEM")
    assert (row["resolution"], row["resolution_code"]) == ("Refund", "REFUND")
    assert (row["warranty_period"], row["warranty_period_code"]) == ("2 years", "P2Y")
    assert row["warranty_ends"] == "2028-03-31"
    assert row["coverage_when_submitted"] == "Covered"  # the store's day, not UTC's 1 Apr
    assert row["submitted_at"] == "2028-03-31T16:30:00-07:00"


def test_export_keeps_the_apostrophe_for_a_phone_cell_that_is_not_a_grouped_number(client, desk):
    Claim.objects.filter(pk=desk.claim_b.pk).update(customer_phone="+1+cmd|' /C calc'!A0")
    as_user(client, desk.manager_b)

    row = csv_rows(download_export(client))[0]

    assert row["customer_phone"].startswith("'+1")


def test_export_neutralises_a_formula_after_a_separator_a_spreadsheet_splits_on(client, desk):
    desk.claim_b.item_name = "Kettle;=1+2"
    desk.claim_b.ship_last_name = "Baker,@SUM(A1)"
    desk.claim_b.save()
    as_user(client, desk.manager_b)

    row = csv_rows(download_export(client))[0]

    assert row["item"] == "Kettle;'=1+2"
    assert row["customer_last_name"] == "Baker,'@SUM(A1)"


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("  =1+2", "'  =1+2"),
        ("\t=1", "'\t'=1"),
        ("\rX", "'\rX"),
        ("Kettle;=1+2", "Kettle;'=1+2"),
        ("Kettle,+1", "Kettle,'+1"),
        ("Kettle| -1", "Kettle| '-1"),
        ("Kettle\t@SUM(A1)", "Kettle\t'@SUM(A1)"),
        ("Kettle\n=cmd", "Kettle\n'=cmd"),
        ("Kettle; 2 cups", "Kettle; 2 cups"),
        ("Café — 2024-05-01", "Café — 2024-05-01"),
        ("a=b", "a=b"),
        ("+1 217-555-0100", "'+1 217-555-0100"),  # outside the phone column: as any text
    ],
)
def test_csv_cell_neutralised(text, cell):
    from kiosk.selectors.export import csv_cell_neutralised

    assert csv_cell_neutralised(text) == cell


def test_export_is_utf8_with_a_byte_order_mark_for_excel(client, desk):
    desk.claim_b.item_name = "Café kettle — brushed steel"
    desk.claim_b.save()
    as_user(client, desk.manager_b)

    response = download_export(client)
    body = b"".join(response.streaming_content)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert body.startswith(b"\xef\xbb\xbfclaim_number,")
    assert "Café kettle — brushed steel".encode() in body


def test_opening_the_export_page_exports_and_records_nothing(client, desk):
    as_user(client, desk.manager_b)

    page = client.get(reverse("admin:kiosk_claim_export"), {"issue_type__exact": "DEFECTIVE_ITEM"})

    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    assert 'data-testid="export-rows">1<' in page.content.decode()
    assert not ManagerAction.objects.filter(action="export").exists()
    download_export(client, "?issue_type__exact=DEFECTIVE_ITEM")
    assert ManagerAction.objects.filter(action="export").count() == 1


def test_an_export_with_a_refused_filter_exports_nothing(client, desk):
    as_user(client, desk.manager_b)

    response = download_export(client, "?store=abc")

    assert response.status_code == 400
    assert "Nothing is exported" in response.content.decode()
    assert not ManagerAction.objects.filter(action="export").exists()


def test_the_dashboard_counts_only_the_managers_stores(client, desk):
    needs = filed(desk.store_b, "SB-5555-5555")
    needs.status, needs.attention_reason = Claim.Status.NEEDS_ATTENTION, "gave_up"
    needs.save()
    as_user(client, desk.manager_b)

    page = client.get(reverse("admin:kiosk_claim_dashboard"), {"period": "today"})

    summary = page.context["summary"]
    assert summary.total == 2
    assert summary.needs_attention == 1
    assert {name for _, name, _ in summary.by_store} == {"Harbour"}
    assert sum(bar.count for bar in summary.bars) == 2
    content = page.content.decode()
    assert "<svg" in content and "<rect" in content
    assert "?status__exact=needs_attention" in content


# -- actions on the record ---------------------------------------------------------------


def retry(client, *claims, reason: str = "", confirmed: bool = True):
    data = {"action": "retry_delivery", "_selected_action": [c.pk for c in claims]}
    if confirmed:
        data |= {"confirmed": "yes", "reason": reason}
    return client.post(reverse(CHANGELIST), data, follow=True)


def test_a_retry_asks_why_and_goes_on_the_claims_record(client, desk, settings):
    settings.PUBLIC_MEDIA_BASE_URL = "https://media.test"
    claim = desk.claim_b
    claim.status, claim.attention_reason = Claim.Status.NEEDS_ATTENTION, "configuration"
    claim.save()
    as_user(client, desk.manager_b)

    asked = retry(client, claim, confirmed=False)
    without_reason = retry(client, claim, reason="")
    done = retry(client, claim, reason="The API token was renewed.")

    assert b"Why are you retrying?" in asked.content
    assert b"Say why, for the record." in without_reason.content
    assert f"Queued for delivery again: {claim.reference}".encode() in done.content
    action = claim.manager_actions.get()
    assert (action.user, action.reason) == (desk.manager_b, "The API token was renewed.")
    page = client.get(reverse("admin:kiosk_claim_change", args=[claim.pk])).content.decode()
    assert "Retried delivery" in page and "The API token was renewed." in page


def test_a_retry_never_reaches_another_stores_claim(client, desk):
    claim = desk.claim_a
    claim.status, claim.attention_reason = Claim.Status.NEEDS_ATTENTION, "gave_up"
    claim.save()
    as_user(client, desk.manager_b)

    retry(client, claim, reason="Trying my luck")

    claim.refresh_from_db()
    assert claim.status == Claim.Status.NEEDS_ATTENTION
    assert not ManagerAction.objects.exists()


def test_admin_pages_show_the_sandbox_banner(manager_client):
    assert b'data-testid="sandbox-banner"' in manager_client.get(reverse("admin:index")).content
