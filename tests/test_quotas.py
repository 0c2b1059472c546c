"""Quotas: one associate cannot fill the disk or the database from a tablet.

The drafts an associate has open (DRAFTS_OPEN_MAX_PER_ASSOCIATE), the stored photos'
bytes on one claim (PHOTOS_MAX_BYTES_PER_CLAIM) and the input a draft keeps while it is
not valid (PENDING_INPUT_MAX_BYTES) are capped; each refusal says so where it happened,
keeps everything else, and shows the way out. A claim a tablet holds already (the
outbox's replay) is never refused for the drafts cap.
"""

import html
import json
from pathlib import Path

from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from kiosk.forms import ItemForm
from kiosk.models import Claim, ClaimAttachment, new_claim_reference
from kiosk.services.images import image_normalise
from kiosk.steps import STEPS_BY_SLUG
from tests.factories import ClaimFactory
from tests.test_outbox import outbox, tablet  # noqa: F401 (fixtures)
from tests.test_views import VALID_STEPS, start_claim, step_url

PHOTOS = Path(__file__).parent / "data" / "photos"


def pending_input_size(pending: dict) -> int:
    """The bytes a draft's kept input takes in its JSON column."""
    return len(json.dumps(pending).encode())


def drafts_of(associate, store, count: int) -> list[Claim]:
    return [
        ClaimFactory(store=store, created_by=associate, status=Claim.Status.DRAFT)
        for _ in range(count)
    ]


# -- Open drafts per associate -------------------------------------------------------------


def test_starting_a_claim_past_the_draft_limit_says_so_keeps_the_typing_and_lists_the_drafts(
    associate_client, associate, store, settings
):
    settings.DRAFTS_OPEN_MAX_PER_ASSOCIATE = 3
    drafts = drafts_of(associate, store, 3)
    ClaimFactory(store=store, created_by=associate, status=Claim.Status.QUEUED)  # not a draft

    response = associate_client.post(
        reverse("kiosk:claim-new"),
        {"store": store.pk, "ship_first_name": "Dana", "customer_email": "dana@example.com"},
    )

    assert Claim.objects.filter(status=Claim.Status.DRAFT).count() == 3  # none started
    assert response.status_code == 200
    alert = response.content.decode()
    assert "You have 3 claims not finished yet, the most one associate can have open." in alert
    assert 'data-testid="draft-limit"' in alert and 'href="#claims-to-finish"' in alert
    form = response.context["customer_form"]
    assert form["ship_first_name"].value() == "Dana"
    assert form["customer_email"].value() == "dana@example.com"
    # The way out: each draft, however old, to resume or discard.
    assert set(response.context["drafts"]) == set(drafts)
    for draft in drafts:
        assert reverse("kiosk:claim-discard", args=[draft.reference]) in alert
    # One discarded: the claim starts.
    associate_client.post(reverse("kiosk:claim-discard", args=[drafts[0].reference]))
    started = associate_client.post(
        reverse("kiosk:claim-new"), {"store": store.pk, "ship_first_name": "Dana"}
    )
    assert started.status_code == 302
    assert Claim.objects.filter(status=Claim.Status.DRAFT).count() == 3


def test_the_same_start_sent_again_at_the_limit_goes_to_its_claim(
    associate_client, associate, store, settings
):
    settings.DRAFTS_OPEN_MAX_PER_ASSOCIATE = 2
    reference = new_claim_reference()
    data = {"store": store.pk, "reference": reference}
    associate_client.post(reverse("kiosk:claim-new"), data)
    drafts_of(associate, store, 1)

    again = associate_client.post(reverse("kiosk:claim-new"), data)

    assert again.url == reverse("kiosk:claim-resume", args=[reference])
    assert Claim.objects.filter(status=Claim.Status.DRAFT).count() == 2


def test_the_draft_limit_is_the_associates_not_the_stores(
    associate_client, associate, store, settings
):
    settings.DRAFTS_OPEN_MAX_PER_ASSOCIATE = 2
    ClaimFactory.create_batch(3, store=store, status=Claim.Status.DRAFT)  # colleagues'

    response = associate_client.post(reverse("kiosk:claim-new"), {"store": store.pk})

    assert response.status_code == 302
    assert Claim.objects.filter(created_by=associate).count() == 1


def test_the_outbox_sends_a_claim_kept_on_the_tablet_past_the_limit_and_holds_it_beyond(
    outbox,  # noqa: F811
    associate,
    store,
    settings,
):
    """A claim made offline exists on the tablet: the cap never loses it. It goes past
    DRAFTS_OPEN_MAX_PER_ASSOCIATE; past twice that it is held (429, Retry-After, the
    tablet keeps it and says why), and sent once drafts are finished or discarded."""
    settings.DRAFTS_OPEN_MAX_PER_ASSOCIATE = 2
    drafts = drafts_of(associate, store, 2)
    first = new_claim_reference()

    assert outbox("start", reference=first).json() == {"status": "saved"}
    assert outbox("start", reference=new_claim_reference()).json() == {"status": "saved"}
    held_reference = new_claim_reference()
    held = outbox("start", reference=held_reference)

    assert held.status_code == 429
    assert held["Retry-After"] == "300"
    answer = held.json()
    assert answer["status"] == "held" and answer["error"] == "drafts_limit"
    assert "too many claims not finished" in answer["message"]
    assert not Claim.objects.filter(reference=held_reference).exists()
    # The same start sent again is the claim it started, even at the limit.
    assert outbox("start", reference=first).json() == {"status": "saved"}
    # A draft discarded: the held start goes through when the tablet sends it again.
    drafts[0].delete()
    assert outbox("start", reference=held_reference).json() == {"status": "saved"}
    assert Claim.objects.get(reference=held_reference).created_by == associate


# -- Photos' total bytes per claim ---------------------------------------------------------


def photo(name: str) -> bytes:
    return (PHOTOS / name).read_bytes()


def stored_size(data: bytes) -> int:
    return len(image_normalise(data=data).data)


def test_a_photo_past_the_claims_photo_bytes_is_refused_with_the_limit_and_the_rest_stays(
    associate_client, store, settings
):
    claim = start_claim(associate_client, store)
    first, second = photo("coffee.jpg"), photo("gravel.jpg")
    settings.PHOTOS_MAX_BYTES_PER_CLAIM = stored_size(first) + stored_size(second) - 1
    url = reverse("kiosk:photo-upload", args=[claim.reference])

    stored = associate_client.post(url, {"kind": "item", "photo": upload("a.jpg", first)})
    refused = associate_client.post(url, {"kind": "item", "photo": upload("b.jpg", second)})

    assert stored.status_code == 201
    assert refused.status_code == 400
    most = filesizeformat(settings.PHOTOS_MAX_BYTES_PER_CLAIM)
    assert f"they can take at most {most}. Remove a photo" in refused.json()["error"]
    assert [a.size for a in claim.attachments.all()] == [stored_size(first)]


def test_the_item_steps_photo_field_refuses_a_photo_past_the_bytes_and_keeps_the_typing(
    associate_client, store, settings
):
    claim = start_claim(associate_client, store)
    first, second = photo("coffee.jpg"), photo("gravel.jpg")
    settings.PHOTOS_MAX_BYTES_PER_CLAIM = stored_size(first) + stored_size(second) - 1
    associate_client.post(
        reverse("kiosk:photo-upload", args=[claim.reference]),
        {"kind": "item", "photo": upload("a.jpg", first)},
    )

    response = associate_client.post(
        step_url(claim, "item"),
        {**VALID_STEPS["item"], "item_photos": upload("b.jpg", second), "nav": "next"},
    )

    assert response.status_code == 200  # the page again, with the photo field's error
    form = dict(response.context["sections"])[STEPS_BY_SLUG["item"]]
    most = filesizeformat(settings.PHOTOS_MAX_BYTES_PER_CLAIM)
    assert any(f"at most {most}" in error for error in form.errors["item_photos"])
    assert html.escape(f"at most {most}") in response.content.decode()
    assert form["item_name"].value() == VALID_STEPS["item"]["item_name"]
    assert claim.attachments.filter(kind=ClaimAttachment.Kind.ITEM).count() == 1


def test_a_product_image_replacing_the_one_before_counts_only_once(
    associate_client, store, settings
):
    claim = start_claim(associate_client, store)
    image = photo("gravel.jpg")
    settings.PHOTOS_MAX_BYTES_PER_CLAIM = stored_size(image) + 1000
    url = reverse("kiosk:photo-upload", args=[claim.reference])

    for name in ("a.jpg", "b.jpg"):
        answer = associate_client.post(url, {"kind": "product", "photo": upload(name, image)})
        assert answer.status_code == 201

    assert claim.attachments.count() == 1


def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/jpeg")


# -- Pending invalid input, capped in total ------------------------------------------------

# The item page's fields that take any text up to PENDING_VALUE_MAX_CHARS (no max_length).
UNBOUNDED_ITEM_PAGE_FIELDS = [
    "item_price",
    "item_details",
    "catalog_variant",
    "issue_type",
    "resolution",
    "sales_channel",
    "claim_category",
    "claim_filed_from",
    "from_valet",
    "other_issue_type",
    "date_of_purchase",
    "warranty_override_reason",
    "product_description",
    "warranty_period_choice",
    "warranty_period_custom",
]


def test_one_autosave_keeps_at_most_the_drafts_cap_and_says_what_it_left_out(
    associate_client, store, settings
):
    """The finding: one autosave of the item page kept 15.9 MB (each field's name sent
    again and again, each value 200,000 characters). Now the draft keeps one value a
    field, and at most PENDING_INPUT_MAX_BYTES for all its steps together."""
    settings.PENDING_INPUT_MAX_BYTES = 512 * 1024  # the default
    claim = start_claim(associate_client, store)
    long = "9" * 200_000
    data = {name: long for name in UNBOUNDED_ITEM_PAGE_FIELDS}
    data["item_details"] = [long] * 60  # one name, many values: 12 MB of them
    data |= {"item_name": "Espresso machine", "nav": "autosave"}

    response = associate_client.post(step_url(claim, "item"), data)

    claim.refresh_from_db()
    assert pending_input_size(claim.pending_input) <= settings.PENDING_INPUT_MAX_BYTES
    kept = claim.pending_input["item"]["data"]
    assert kept["item_name"] == ["Espresso machine"]  # valid, short: kept
    answer = response.json()
    assert response.status_code == 200
    assert answer["not_kept"] and "Too long to keep on the draft" in answer["message"]
    assert filesizeformat(settings.PENDING_INPUT_MAX_BYTES) in answer["message"]
    # Each field named as left out is one the draft does not hold; the rest it holds.
    every_kept = {**kept, **claim.pending_input.get("issue", {}).get("data", {})}
    every_kept |= claim.pending_input.get("warranty", {}).get("data", {})
    assert every_kept and all(len(values) == 1 for values in every_kept.values())


def test_input_left_out_of_the_draft_is_said_on_the_page_the_associate_goes_to(
    associate_client, store, settings
):
    settings.PENDING_INPUT_MAX_BYTES = 2_000
    claim = start_claim(associate_client, store)
    associate_client.post(
        step_url(claim, "customer"),
        {"ship_first_name": "Dana", "customer_email": "x" * 250, "nav": "autosave"},
    )

    response = associate_client.post(
        step_url(claim, "item"),
        {"item_name": "Kettle", "item_details": "y" * 1_800, "item_price": "abc", "nav": "back"},
        follow=True,
    )

    claim.refresh_from_db()
    assert pending_input_size(claim.pending_input) <= 2_000
    # The other step's input stays; of this one, the wrong value and then the largest go.
    assert claim.pending_input["customer"]["data"]["customer_email"] == ["x" * 250]
    assert claim.pending_input["item"]["data"] == {"item_name": ["Kettle"]}
    labels = [str(ItemForm.base_fields[name].label) for name in ("item_price", "item_details")]
    said = f"Too long to keep on the draft, so not saved: {', '.join(labels)}."
    assert response.redirect_chain[-1][0] == step_url(claim, "customer")
    assert html.escape(said) in response.content.decode()


def test_what_the_page_shows_again_is_the_value_kept(associate_client, store):
    claim = start_claim(associate_client, store)

    associate_client.post(
        step_url(claim, "customer"),
        {"ship_first_name": ["Dan", "Dana"], "customer_email": "bad", "nav": "autosave"},
    )

    claim.refresh_from_db()
    assert claim.pending_input["customer"]["data"]["ship_first_name"] == ["Dana"]
