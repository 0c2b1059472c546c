"""Hostile input: every kiosk form field keeps what was typed on the draft (cleaned, or as
typed with its error) and shows it as text; every POST parameter gets its own answer;
markup never runs; every webhook body gets 200 or a 400 with its reason."""

import csv
import html
import io
import json
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kiosk.followup.webhook_events import webhook_event_process
from kiosk.forms.base import PENDING_VALUE_MAX_CHARS
from kiosk.models import Claim, ClaimAttachment, WebhookEvent
from kiosk.services.drafts import claim_start
from kiosk.steps import (
    FORM_STEPS,
    REVIEW,
    STEPS_BY_SLUG,
    first_incomplete_step,
    page_of,
    step_before,
)
from tests.conftest import step_form
from tests.factories import ClaimFactory

XSS = '<script>alert("x")</script>"\'><img src=x onerror=alert(1)>'
INJECTIONS = [
    XSS,
    "' OR 1=1 --",
    "'; DROP TABLE kiosk_claim; --",
    "\u202eevil.exe\u202c",  # right-to-left override
    "مرحبا بالعالم",
    "👩‍🔧🔥" * 50,
    "\x00\x01\x1b[31m",
    "x" * 100_000,
    '=HYPERLINK("http://evil")',
    "",
]
HOSTILE_TEXT = st.one_of(
    st.sampled_from(INJECTIONS),
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=50),
)
# Only the logged-in client is shared between examples (function_scoped_fixture): each
# example opens its own draft in the test body.
EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Each field's example renders a page: fewer of them, with markup always among them.
FIELD_EXAMPLES = settings(EXAMPLES, max_examples=12)
TEXT_FIELDS = [
    (step.slug, name)
    for step in FORM_STEPS
    for name, field in step.form_class.base_fields.items()
    if not name.endswith("_photos") and name not in ("product_image", "clear_signature")
]
# Widgets that show a kept value as the text typed (a select or a radio shows only its choices).
SHOWS_TEXT = ("TextInput", "EmailInput", "NumberInput", "DateInput", "Textarea", "HiddenInput")
RAW_MARKUP = ("<script>alert", "<img src=x onerror")


def step_url(claim: Claim, slug: str) -> str:
    return reverse("kiosk:claim-step", args=[claim.reference, slug])


@pytest.fixture
def draft(associate_client, store):
    associate_client.post(reverse("kiosk:claim-new"), {"store": store.pk})
    return Claim.objects.get()


def kept_as_typed(form, field: str, value: str) -> str:
    """What the draft keeps of an invalid post's `value` (ClaimStepForm.typed_input)."""
    limit = min(
        getattr(form.fields[field], "max_length", None) or PENDING_VALUE_MAX_CHARS,
        PENDING_VALUE_MAX_CHARS,
    )
    return value.replace("\x00", "")[:limit]


@pytest.mark.parametrize(("slug", "field"), TEXT_FIELDS)
def test_every_field_keeps_hostile_text_on_the_draft_and_shows_it_as_text(
    associate_client, associate, store, slug, field
):
    step = STEPS_BY_SLUG[slug]

    @FIELD_EXAMPLES
    @given(value=HOSTILE_TEXT, nav=st.sampled_from(["next", "back", "stay", "autosave"]))
    @example(value=XSS, nav="next")
    @example(value=XSS, nav="stay")
    def post(value, nav):
        draft = claim_start(store=store, associate=associate)
        data = QueryDict(mutable=True)
        data[field] = value
        form = step.form_class(data, claim=draft)
        valid = form.is_valid()

        response = associate_client.post(step_url(draft, slug), {field: value, "nav": nav})

        # Where the associate lands: the step's own page again while it has errors.
        going_on = nav == "next" or (nav == "back" and step_before(step) is None)
        if page_of(step) is REVIEW:
            assert response.status_code == 302
            assert response["Location"] == step_url(draft, page_of(step).slug)
        elif nav == "autosave":
            assert response.status_code == 204
        elif going_on and not valid:
            assert response.status_code == 200
            assert dict(response.context["sections"])[step].errors == form.errors
        else:
            assert response.status_code == 302, (response.status_code, form.errors)
        # What the draft keeps: the cleaned value, or what was typed, to correct.
        draft.refresh_from_db()
        if valid:
            kept = value
            assert slug not in draft.pending_input
            if field == "signature_typed_name":  # drawn as the signature, not kept as text
                signature = draft.attachments_of(ClaimAttachment.Kind.SIGNATURE)[-1]
                assert signature.typed
            else:
                assert getattr(draft, field) == form.cleaned_data[field]
        else:
            kept = kept_as_typed(form, field, value)
            checked = going_on or page_of(step) is REVIEW
            assert draft.pending_input[slug] == {"data": {field: [kept]}, "checked": checked}
        # Shown as text, never as markup: in the field, and in its error (on the page
        # re-rendered, else on the page reloaded from the draft).
        if response.status_code == 200:
            page, shown, text = response.content.decode(), form, value
        else:
            page = associate_client.get(step_url(draft, page_of(step).slug)).content.decode()
            shown, text = step.form_class({field: kept}, claim=draft), kept
        assert not any(markup in page for markup in RAW_MARKUP)
        if not valid and type(form.fields[field].widget).__name__ in SHOWS_TEXT:
            assert html.escape(text) in page
        if not valid and checked:
            for error in shown.errors.get(field, []):
                assert html.escape(error) in page, error

    post()


def expected_step_status(slug: str) -> int:
    """What posting Next to the step named `slug` in a URL answers on an empty draft."""
    if slug not in STEPS_BY_SLUG:
        return 404
    step = STEPS_BY_SLUG[slug]
    # The review page and the signature on it send the associate on; a form step's page
    # is shown again with its errors.
    return 302 if step not in FORM_STEPS or page_of(step) is REVIEW else 200


@EXAMPLES
@given(
    store_value=HOSTILE_TEXT,
    goto=HOSTILE_TEXT,
    remove=HOSTILE_TEXT,
    signature=st.one_of(
        HOSTILE_TEXT, HOSTILE_TEXT.map(lambda text: "data:image/png;base64," + text)
    ),
    slug=HOSTILE_TEXT,
)
@example(store_value="0", goto="customer", remove="", signature="", slug="customer")
@example(store_value="1", goto="review", remove="7", signature="", slug="review")
@example(store_value="", goto="signature", remove="x", signature="", slug="signature")
@example(store_value="12", goto="item", remove="", signature="", slug="issue")
def test_every_post_parameter_takes_hostile_text_with_its_own_answer(
    associate_client, associate, store, store_value, goto, remove, signature, slug
):
    draft = claim_start(store=store, associate=associate)
    claims_before = Claim.objects.count()

    started = associate_client.post(reverse("kiosk:claim-new"), {"store": store_value})
    if store_value == str(store.pk):
        assert started.status_code == 302
        assert Claim.objects.count() == claims_before + 1
    else:
        assert started.status_code == 404
        assert Claim.objects.count() == claims_before

    moved = associate_client.post(
        step_url(draft, "item"), {"goto": goto, "remove_attachment": remove}
    )
    # The step bar names a step (an unknown one is none); without it, Next.
    item = STEPS_BY_SLUG["item"]
    target = STEPS_BY_SLUG.get(goto) if goto else STEPS_BY_SLUG["address"]
    forward = target is None or page_of(target).slug not in ("customer", "item")
    if remove.isascii() and remove.isdigit():  # a photo named (none is there): the item step again
        assert moved.status_code == 302
        assert moved["Location"] == step_url(draft, item.slug)
    elif target is not None and (remove or not forward):
        assert moved.status_code == 302
        assert moved["Location"] == step_url(draft, target.slug)
    else:  # going on from an incomplete step: the item step with its errors
        assert moved.status_code == 200
        assert moved.context["step"] is item
        assert step_form(moved, "item").errors

    submitted = associate_client.post(
        reverse("kiosk:claim-submit", args=[draft.reference]), {"signature_data": signature}
    )
    # Nothing is filled in yet: Submit sends the associate to the first step to do.
    assert submitted.status_code == 302
    assert submitted["Location"] == step_url(draft, first_incomplete_step(draft).slug)
    draft.refresh_from_db()
    assert draft.status == Claim.Status.DRAFT

    slug = slug.replace("/", "").replace("\x00", "") or "x"
    stepped = associate_client.post(
        step_url(draft, "customer").replace("customer", quote(slug, safe="")), {"nav": "next"}
    )
    assert stepped.status_code == expected_step_status(slug), (slug, stepped.status_code)


@pytest.mark.parametrize("parameter", ["store", "remove_attachment"])
def test_a_superscript_digit_is_refused_like_any_other_text(
    associate_client, associate, store, parameter
):
    draft = claim_start(store=store, associate=associate)
    url = reverse("kiosk:claim-new") if parameter == "store" else step_url(draft, "item")

    response = associate_client.post(url, {parameter: "²"})

    if parameter == "store":
        assert response.status_code == 404
    else:  # no photo is named: the associate goes on as with any other text
        assert response.status_code == 302
        assert response["Location"] == step_url(draft, "address")


def test_markup_typed_anywhere_is_shown_as_text_in_the_kiosk_the_admin_and_the_csv(
    associate_client, admin_client, complete_claim
):
    for name in ("ship_first_name", "ship_last_name", "item_name", "item_details", "ship_city"):
        setattr(complete_claim, name, XSS[:100])
    complete_claim.save()
    review = associate_client.get(step_url(complete_claim, "review")).content.decode()
    complete_claim.status = Claim.Status.FILED
    complete_claim.submitted_at = timezone.now()
    complete_claim.save()

    desk = admin_client.get(
        reverse("admin:kiosk_claim_change", args=[complete_claim.pk])
    ).content.decode()
    listed = admin_client.get(reverse("admin:kiosk_claim_changelist"))
    export = admin_client.post(reverse("admin:kiosk_claim_export"))

    for page in (review, desk, listed.content.decode()):
        assert "<script>alert" not in page and "<img src=x onerror" not in page
    assert "&lt;script&gt;alert" in review and "&lt;script&gt;alert" in desk
    assert export["Content-Type"].startswith("text/csv")
    assert export["Content-Disposition"].startswith("attachment")
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    # The claim is exported with its text as text: a CSV is downloaded, never rendered.
    assert [row["item"] for row in rows] == [XSS[:100]]


# Issue 15, finding 11: the webhook receiver answered 500 to deep nesting and NaN.

WEBHOOK_SECRET = "whsec-hostile"
WEBHOOK_EXAMPLES = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
AWKWARD_TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "\ud800",
            "a\x00b",
            "\udfff\ud800",
            "👩‍🔧",
            "\u202eevil",
            "store_h",
            "",
            "9999-12-31T23:59:59-14:00",
        ]
    ),
)
JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**4000), max_value=10**4000),
        st.floats(),  # NaN and ±Infinity included
        AWKWARD_TEXT,
    ),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(AWKWARD_TEXT, children, max_size=4)
    ),
    max_leaves=25,
)
EVENTS = st.fixed_dictionaries(
    {"topic": st.sampled_from(["claim/approved", "claim.created", "claim/denied", "x"])},
    optional={
        "id": JSON_VALUES,
        "created_at": st.one_of(AWKWARD_TEXT, JSON_VALUES, st.just("2099-01-01T00:00:00Z")),
        "body": st.fixed_dictionaries(
            {},
            optional={
                "claimId": st.one_of(st.just("cm-hostile"), JSON_VALUES),
                "storeId": st.one_of(st.just("store_h"), JSON_VALUES),
                "source_order_id": st.one_of(st.just("SB-9999-0000"), JSON_VALUES),
                "claim_state": st.one_of(st.just("APPROVED"), JSON_VALUES),
                "resolutions": JSON_VALUES,
            },
        ),
    },
)


def expected_webhook_status(value) -> int:
    """What the receiver must answer to the JSON encoding of `value`."""
    if not isinstance(value, dict):
        return 400
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, float) and item != item or item in (float("inf"), float("-inf")):
            return 400
        if isinstance(item, str) and (
            "\x00" in item or any(0xD800 <= ord(c) <= 0xDFFF for c in item)
        ):
            return 400
        if isinstance(item, (dict, list)):
            if depth > 32:
                return 400
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return 200


@pytest.fixture
def webhook_claim(db, settings, api_to_sandbox):
    settings.ORDERPROTECTION_WEBHOOK_SECRET = WEBHOOK_SECRET
    return ClaimFactory(
        store__source_store_id="store_h",
        status=Claim.Status.FILED,
        claim_number="SB-9999-0000",
        orderprotection_id="cm-hostile",
    )


def post_webhook(client, body: bytes):
    return client.post(
        reverse("orderprotection-webhook"),
        data=body,
        content_type="application/json",
        HTTP_X_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )


@WEBHOOK_EXAMPLES
@given(value=st.one_of(EVENTS, JSON_VALUES))
def test_a_webhook_body_of_any_json_gets_200_or_a_400_with_a_reason(client, webhook_claim, value):

    response = post_webhook(
        client, json.dumps(value).encode()
    )  # NaN and Infinity as JSON5 has them

    assert response.status_code == expected_webhook_status(value), response.content
    if response.status_code == 400:
        assert response.json()["message"]
        return
    for event_pk in WebhookEvent.objects.filter(processed_at__isnull=True).values_list(
        "pk", flat=True
    ):
        assert isinstance(webhook_event_process(event_pk=event_pk), str)
    webhook_claim.refresh_from_db()
    assert webhook_claim.claim_state in ("", *django_settings.CLAIM_KNOWN_STATES)


@WEBHOOK_EXAMPLES
@example(depth=31, opener=(b"[", b"]"))  # 32 levels: the most WEBHOOK_MAX_DEPTH allows
@example(depth=32, opener=(b"[", b"]"))
@example(depth=40_000, opener=(b'{"a":', b"}"))  # deeper than Python's recursion limit
@given(
    depth=st.integers(min_value=1, max_value=40_000),  # up to WEBHOOK_MAX_BYTES
    opener=st.sampled_from([(b'{"a":', b"}"), (b"[", b"]")]),
)
def test_a_webhook_body_of_any_depth_gets_200_or_400(client, webhook_claim, depth, opener):
    start, end = opener
    body = b'{"a":' + start * depth + b"1" + end * depth + b"}"

    response = post_webhook(client, body)

    assert response.status_code == (200 if depth + 1 <= 32 else 400), response.content


@WEBHOOK_EXAMPLES
@given(number=st.sampled_from([b"1" * 5000, b"1e999", b"-1e999", b"1e308", b"9" * 4000, b"-0.0"]))
def test_a_webhook_body_with_a_huge_number_gets_200_or_400(client, webhook_claim, number):
    response = post_webhook(client, b'{"topic": "claim/approved", "n": ' + number + b"}")

    storable = number not in (b"1" * 5000, b"1e999", b"-1e999")
    assert response.status_code == (200 if storable else 400), response.content


@WEBHOOK_EXAMPLES
@given(body=st.binary(max_size=300))
def test_a_webhook_body_of_any_bytes_gets_200_or_400(client, webhook_claim, body):
    try:
        expected = expected_webhook_status(json.loads(body.decode("utf-8")))
    except ValueError:  # not UTF-8, or not JSON
        expected = 400

    response = post_webhook(client, body)

    assert response.status_code == expected, (body, response.content)
    if expected == 400:
        assert response.json()["message"]


DEEP = b"[" * 200_000 + b"]" * 200_000


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"topic": "claim/approved", "body": {"price": NaN}}', "NaN"),
        (b'{"topic": "claim/approved", "body": {"price": Infinity}}', "Infinity"),
        (b'{"topic": "claim/approved", "body": {"price": -Infinity}}', "-Infinity"),
        (b'{"topic": "claim/approved", "body": {"price": 1e999}}', "too large"),
        (b'{"a": 1' + b"0" * 5000 + b"}", "not JSON"),
        (DEEP[:250_000], "nested too deeply"),
        (b'{"a":' * 33 + b"1" + b"}" * 33, "deeper than 32"),
        (b'{"topic": "claim/approved", "body": {"claimId": "\\ud800"}}', "lone surrogate"),
        (b'{"topic": "claim/approved", "body": {"claimId": "a\\u0000b"}}', "NUL"),
        (b'{"\\u0000": 1}', "NUL"),
        (b"\xff\xfe{}", "not JSON"),
        (b"null", "not a JSON object"),
        (b'"claim/approved"', "not a JSON object"),
        (b"12", "not a JSON object"),
    ],
)
def test_a_webhook_body_the_database_cannot_hold_gets_400_with_its_reason(
    client, webhook_claim, body, reason
):
    response = post_webhook(client, body)

    assert response.status_code == 400
    assert reason in response.json()["message"]
    assert not WebhookEvent.objects.exists()


def test_a_webhook_body_as_deep_as_allowed_is_accepted(client, webhook_claim):
    assert django_settings.WEBHOOK_MAX_DEPTH == 32

    response = post_webhook(client, b'{"a":' * 31 + b"[1]" + b"}" * 31)

    assert response.status_code == 200
    assert WebhookEvent.objects.count() == 1


# -- the desk's claim list: every filter parameter -----------------------------------------

CHANGELIST_URL = "/admin/kiosk/claim/"
REFUSED = "No claim is listed until"


@pytest.fixture
def desk_claims(manager, store):
    """A filed claim at the manager's store and one at another store."""
    from tests.factories import ClaimFactory, StoreFactory

    filed = {"status": Claim.Status.FILED, "submitted_at": timezone.now()}
    return ClaimFactory(store=store, **filed), ClaimFactory(store=StoreFactory(), **filed)


def test_the_claim_list_refuses_a_date_that_does_not_exist(manager_client, desk_claims):
    page = manager_client.get(CHANGELIST_URL, {"submitted_from": "2024-99-99"})

    assert page.status_code == 200
    assert "From: Enter a date such as 2024-05-01." in page.content.decode()
    assert desk_claims[0].reference not in page.content.decode()


def test_the_claim_list_refuses_a_range_that_ends_before_it_starts(manager_client, desk_claims):
    page = manager_client.get(
        CHANGELIST_URL, {"submitted_from": "2024-05-01", "submitted_to": "2024-01-01"}
    )

    assert "“From” is after “To”." in page.content.decode()


@pytest.mark.parametrize("time_zone", ["UTC", "Pacific/Auckland", "America/New_York"])
def test_the_claim_list_takes_the_first_and_last_days_of_the_calendar(
    manager_client, desk_claims, settings, time_zone
):
    settings.TIME_ZONE = time_zone

    page = manager_client.get(
        CHANGELIST_URL, {"submitted_from": "0001-01-01", "submitted_to": "9999-12-31"}
    )

    assert page.status_code == 200
    assert desk_claims[0].reference in page.content.decode()


@pytest.mark.parametrize("store_value", ["abc", "1.5", "99999999999999999999999", "other"])
def test_the_claim_list_refuses_a_store_that_is_not_the_managers(
    manager_client, desk_claims, store_value
):
    if store_value == "other":
        store_value = str(desk_claims[1].store_id)

    page = manager_client.get(CHANGELIST_URL, {"store": store_value})

    assert page.status_code == 200
    assert f"Filter by store: “{store_value}” is not one of its choices." in page.content.decode()
    assert desk_claims[0].reference not in page.content.decode()


def test_the_claim_list_answers_400_to_a_nul_character(manager_client, desk_claims):
    assert manager_client.get(CHANGELIST_URL, {"q": "a\x00b"}).status_code == 400


def _valid_values(manager, store) -> dict[str, set[str]]:
    from kiosk.admin.filters import SubmittedFilter
    from kiosk.choices import IssueType, Resolution
    from kiosk.followup.claim_state import STATE_LABELS

    return {
        "drafts": {"only", "abandoned", "include"},
        "undelivered": {"1"},
        "status__exact": set(Claim.Status.values),
        "attention_reason__exact": set(Claim.AttentionReason.values),
        "claim_state": set(STATE_LABELS),
        "store": {str(store.pk)},
        "issue_type__exact": set(IssueType.values),
        "resolution__exact": set(Resolution.values),
        "warranty_override": {"yes", "no"},
        "customer_copy": {"none", *Claim.CustomerCopyStatus.values},
        "submitted": set(SubmittedFilter.PRESETS),
    }


def _date_or_none(text: str):
    import datetime

    try:
        return datetime.datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None


QUERY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
DATE_TEXT = st.one_of(
    st.dates().map(lambda day: day.strftime("%Y-%m-%d").zfill(10)),
    st.sampled_from(["2024-99-99", "9999-12-31", "0001-01-01", "2024-02-30", " 2024-01-01 "]),
    QUERY_TEXT,
)


def test_every_filter_of_the_claim_list_takes_any_value_without_a_500(
    manager_client, manager, store, desk_claims
):
    valid = _valid_values(manager, store)
    names = [*valid, "submitted_from", "submitted_to", "q", "p", "o"]

    def value_for(name):
        if name in ("submitted_from", "submitted_to"):
            return DATE_TEXT
        if name in valid:
            return st.one_of(st.sampled_from(sorted(valid[name])), QUERY_TEXT)
        return st.one_of(st.integers(-5, 10**30).map(str), QUERY_TEXT)

    @settings(
        derandomize=True,
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(params=st.fixed_dictionaries({}, optional={name: value_for(name) for name in names}))
    def get(params):
        response = manager_client.get(CHANGELIST_URL, params)

        if any("\x00" in value for value in params.values()):
            assert response.status_code == 400
            return
        assert response.status_code == 200, (params, response.status_code)
        page = response.content.decode()
        wrong = {
            name
            for name, value in params.items()
            if name in valid and value != "" and value not in valid[name]
        }
        first, last = params.get("submitted_from", ""), params.get("submitted_to", "")
        bad_dates = any(text.strip() and _date_or_none(text) is None for text in (first, last))
        reversed_range = bool(
            _date_or_none(first)
            and _date_or_none(last)
            and _date_or_none(first) > _date_or_none(last)
        )
        if wrong or bad_dates or reversed_range:
            assert REFUSED in page, params
            assert desk_claims[0].reference not in page
        else:
            assert REFUSED not in page, params
        assert desk_claims[1].reference not in page  # another store's, whatever the filters

    get()
