"""Two audiences, two languages: the associate's pages in theirs, what the customer reads
and signs in the customer's, and nothing sent to OrderProtection changes with either."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core import mail
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from kiosk.followup.customer_copy import customer_copy_send
from kiosk.followup.tasks import customer_copy_queue
from kiosk.models import Claim
from kiosk.services.drafts import ClaimNotEditable, claim_start
from kiosk.services.languages import claim_set_customer_language, user_set_language
from kiosk.services.submission import claim_build_payload
from tests.factories import ClaimFactory
from tests.test_tablets import signed_in_tablet, unlock  # noqa: F401  (a fixture)

SPANISH, ENGLISH = "es-us", "en-us"


def html_lang(response) -> str:
    content = response.content.decode()
    start = content.index("<html lang=") + len('<html lang="')
    return content[start : content.index('"', start)]


# Which language a page is in


def test_an_unlocked_associate_reads_their_own_language_over_the_stores(
    client,
    signed_in_tablet,  # noqa: F811
    associate,
    store,
):
    store.language = ENGLISH
    store.save()
    user_set_language(user=associate, language=SPANISH)
    unlock(client, associate)

    response = client.get(reverse("kiosk:home"))

    assert html_lang(response) == "es"
    assert "Presentar un reclamo de garantía" in response.content.decode()
    assert response["Content-Language"] == SPANISH


def test_an_associate_without_a_setting_reads_the_stores_language(
    client,
    signed_in_tablet,  # noqa: F811
    associate,
    store,
):
    store.language = SPANISH
    store.save()
    unlock(client, associate)

    response = client.get(reverse("kiosk:home"), HTTP_ACCEPT_LANGUAGE="en-US")

    assert html_lang(response) == "es"


def test_a_locked_tablet_is_in_its_stores_language(client, signed_in_tablet, store):  # noqa: F811
    store.language = SPANISH
    store.save()  # signing the tablet in logged the manager out of it: nobody is signed in

    response = client.get(reverse("kiosk:unlock"), HTTP_ACCEPT_LANGUAGE="en-US")

    assert "¿Quién está en el mostrador?" in response.content.decode()


def test_the_desk_is_in_the_managers_own_language(manager_client, manager, store):
    store.language = SPANISH
    store.save()
    user_set_language(user=manager, language=ENGLISH)

    response = manager_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 200
    assert html_lang(response) == "en-us"  # the admin's own <html lang>


def test_a_manager_without_a_setting_reads_their_stores_language(manager_client, store):
    store.language = SPANISH
    store.save()

    response = manager_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en")

    assert html_lang(response) == "es-us"


@pytest.mark.django_db
def test_an_anonymous_page_follows_the_browser(client):
    spanish = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9")
    english = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US")

    assert html_lang(spanish) == "es" and "Iniciar sesión" in spanish.content.decode()
    assert html_lang(english) == "en"
    assert "Accept-Language" in spanish["Vary"]


def test_the_associate_changes_their_language_with_one_tap(
    client,
    signed_in_tablet,  # noqa: F811
    associate,
    store,
):
    unlock(client, associate)

    response = client.post(reverse("kiosk:associate-language"), {"language": SPANISH})

    assert response.status_code == 302
    assert html_lang(client.get(reverse("kiosk:home"))) == "es"
    assert client.post(reverse("kiosk:associate-language"), {"language": "fr"}).status_code == 400


# The customer's language on the claim


def test_a_new_claim_starts_in_the_stores_language(store, associate):
    store.language = SPANISH
    store.save()

    assert claim_start(store=store, associate=associate).customer_language == SPANISH


def test_the_toggle_sets_the_customers_language_and_returns_to_the_page(
    associate_client, store, associate
):
    claim = ClaimFactory(store=store, created_by=associate, status=Claim.Status.DRAFT)
    url = reverse("kiosk:claim-language", args=[claim.reference])

    response = associate_client.post(url, {"customer_language": SPANISH, "next": "customer"})

    assert response.url == reverse("kiosk:claim-step", args=[claim.reference, "customer"])
    claim.refresh_from_db()
    assert claim.customer_language == SPANISH
    bad = associate_client.post(url, {"customer_language": "xx", "next": "review"})
    assert bad.status_code == 400


def test_the_toggle_is_on_the_customer_step_with_each_language_named_in_itself(
    associate_client, store, associate
):
    claim = ClaimFactory(store=store, created_by=associate, status=Claim.Status.DRAFT)

    response = associate_client.get(reverse("kiosk:claim-step", args=[claim.reference, "customer"]))

    content = " ".join(response.content.decode().split())
    assert (
        'value="es-us" lang="es" class="btn btn-lg btn-outline-primary" aria-pressed="false">'
        "Español</button>"
    ) in content
    assert (
        'value="en-us" lang="en" class="btn btn-lg btn-primary" aria-pressed="true">'
        "English</button>"
    ) in content


def test_a_submitted_claims_language_stays_as_signed(store, associate):
    claim = ClaimFactory(store=store, created_by=associate, status=Claim.Status.FILED)

    with pytest.raises(ClaimNotEditable):
        claim_set_customer_language(claim=claim, language=SPANISH)


def test_the_review_shows_the_customer_part_in_spanish_and_the_associates_in_english(
    associate_client, complete_claim
):
    complete_claim.customer_language = SPANISH
    complete_claim.save()

    response = associate_client.get(
        reverse("kiosk:claim-step", args=[complete_claim.reference, "review"])
    )

    content = response.content.decode()
    customer_part = content[content.index('data-testid="review"') :]
    assert html_lang(response) == "en"
    assert 'lang="es" data-testid="review-signature"' in content
    assert "Firma del cliente" in content and "Firme sobre la línea" in customer_part
    assert "Fecha de compra" in customer_part and "Artículo" in customer_part
    assert 'lang="en">Edit<' in customer_part  # the associate's button, marked as English
    assert "Submit claim" in content and "Enviar el reclamo" not in content


def test_the_api_body_is_the_same_in_every_customer_language(complete_claim):
    bodies = []
    for language in (ENGLISH, SPANISH):
        complete_claim.customer_language = language
        with translation.override(language):
            payload = claim_build_payload(claim=complete_claim, media_base_url="http://media")
        bodies.append(json.dumps(payload, sort_keys=True).encode())

    assert bodies[0] == bodies[1]


# What the customer takes home


def filed(store, **fields) -> Claim:
    return ClaimFactory(
        store=store,
        status=Claim.Status.FILED,
        claim_number="SB-1234-5678",
        submitted_at=timezone.make_aware(datetime.datetime(2026, 12, 6, 15, 4, 5)),
        customer_email="jane.doe@example.com",
        **fields,
    )


def test_the_email_goes_in_the_customers_language(store, settings):
    settings.ORDERPROTECTION_SANDBOX = False
    claim = filed(store, customer_language=SPANISH)
    customer_copy_queue(claim=claim)

    customer_copy_send(claim_pk=claim.pk)

    (message,) = mail.outbox
    html = message.alternatives[0].content
    assert message.subject == "Su reclamo de garantía SB-1234-5678 en Main Street"
    assert "Qué sigue" in message.body
    assert "Mencione el número de reclamo SB-1234-5678" in message.body
    assert "6 de diciembre de 2026" in message.body
    assert '<html lang="es">' in html
    assert message.extra_headers["Content-Language"] == SPANISH
    assert translation.get_language() == ENGLISH  # the sender's own language is left as it was


def test_the_printed_copy_is_in_spanish_marked_with_lang(associate_client, store):
    claim = filed(store, customer_language=SPANISH)

    response = associate_client.get(reverse("kiosk:claim-receipt", args=[claim.reference]))

    content = response.content.decode()
    article = content[content.index('<article class="customer-copy"') :]
    assert article.startswith(
        '<article class="customer-copy" data-testid="customer-copy" lang="es">'
    )
    assert "Su reclamo de garantía" in article and "Número de reclamo" in article
    assert "Back to the claim" in content  # the associate's button


def test_the_result_page_shows_the_customer_their_number_in_their_language(associate_client, store):
    claim = filed(store, customer_language=SPANISH)

    response = associate_client.get(reverse("kiosk:claim-result", args=[claim.reference]))

    content = response.content.decode()
    assert 'lang="es" data-testid="result-customer-number"' in content
    assert "Número de reclamo" in content and "Start next claim" in content


# Dates and money, the US way in Spanish too


def test_es_us_dates_spell_the_month_and_money_reads_the_us_way():
    template = Template(
        "{% load kiosk_review %}{{ day|date:'DATE_FORMAT' }}|{{ day|date:'SHORT_DATE_FORMAT' }}"
        "|{{ amount|money }}|{{ day|long_date }}"
    )
    context = Context({"day": datetime.date(2026, 12, 6), "amount": Decimal("1234.5")})

    with translation.override(SPANISH):
        spanish = template.render(context)
    with translation.override(ENGLISH):
        english = template.render(context)

    assert spanish == "6 de diciembre de 2026|12/06/2026|$1,234.50|6 de diciembre de 2026"
    assert english.split("|")[2:] == ["$1,234.50", "December 6, 2026"]
