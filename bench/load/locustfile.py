"""Virtual store tablets for Locust: each files whole claims back to back, as a person does.

Started by ``bench/load/run.py`` (``locust --headless``), never by hand; it reads:

- ``LOAD_TABLETS``: the JSON ``bench.load.seed seed`` wrote (each tablet's cookie, its
  associate's id and PIN); each virtual tablet takes the next one.
- ``LOAD_PHOTOS``: a folder of JPEGs, ``item-NNN.jpg`` and ``receipt-NNN.jpg``
  (bench/load/inputs.py); each claim takes the next pair, and its own phone number, so
  that claims differ as a chain's do. ``LOAD_SIGNATURE``: the PNG the review's signature
  pad sends as a data URL.
- ``LOAD_REQUEST_LOG``: every request is appended here as a JSON line (when, kind, ms,
  ok), for the figures Locust does not keep (a time window's p95).
- ``LOAD_THINK_SECONDS`` (1), ``LOAD_RESULT_WAIT_SECONDS`` (60), ``LOAD_CLAIMS_PER_TABLET``
  (0: until the run ends), ``LOAD_CLAIMS_PER_UNLOCK`` (1: the associate unlocks with the
  PIN for each claim and locks the tablet after it).

A claim: unlock with the PIN, start it, the customer page (two autosaves, then Next), the
item page (two autosaves, the item photo and the receipt photo uploaded as the page's
script does, Next), the address page (the same), the review with a signature, submit,
then the result page, reloaded as the page does until the claim number shows (or the
wait is over: the claim stays queued and is counted after the run), and lock.
Requests are named by kind, so that Locust's statistics are per kind.
"""

import base64
import itertools
import json
import os
import re
import time
import uuid
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import gevent
from locust import HttpUser, events, task
from locust.exception import StopUser
from urllib3.filepost import encode_multipart_formdata

TABLETS = json.loads(Path(os.environ["LOAD_TABLETS"]).read_text())["tablets"]
STORE = json.loads(Path(os.environ["LOAD_TABLETS"]).read_text())["store"]
PHOTOS = {
    kind: sorted(Path(os.environ["LOAD_PHOTOS"]).glob(f"{kind}-*.jpg"))
    for kind in ("item", "receipt")
}
# 500 phone numbers that are never anyone's (NANP 555-01XX).
PHONES = [f"{area} 555 01{n:02d}" for area in (212, 646, 718, 917, 347) for n in range(100)]
NEXT_CLAIM = itertools.count()
SIGNATURE = (
    "data:image/png;base64,"
    + base64.b64encode(Path(os.environ["LOAD_SIGNATURE"]).read_bytes()).decode()
)
THINK_SECONDS = float(os.environ.get("LOAD_THINK_SECONDS", "1"))
BUSY_RETRIES = 5  # static/kiosk/photos.js
RESULT_WAIT_SECONDS = float(os.environ.get("LOAD_RESULT_WAIT_SECONDS", "60"))
CLAIMS_PER_TABLET = int(os.environ.get("LOAD_CLAIMS_PER_TABLET", "0"))
CLAIMS_PER_UNLOCK = int(os.environ.get("LOAD_CLAIMS_PER_UNLOCK", "1"))
AUTOMATIC = {"X-Kiosk-Automatic": "1"}  # what the pages' scripts send by themselves
NEXT_TABLET = itertools.count()
FINISHED: set[int] = set()  # the tablets done with their LOAD_CLAIMS_PER_TABLET claims
CLAIM_NUMBER = re.compile(r'data-testid="claim-number">([^<]+)<')
REFRESH_AFTER = re.compile(r'data-refresh-after="([0-9.]+)"')

# What the associate types, page by page (the item page holds the issue and warranty steps).
PURCHASED = time.strftime("%Y-%m-%d", time.localtime(time.time() - 60 * 86400))
TYPED = {
    "customer": {
        "ship_first_name": "Jane",
        "ship_last_name": "Doe",
    },
    "item": {
        "item_name": "Espresso machine",
        "item_sku": "SKU-1",
        "item_price": "249.99",
        "item_details": "Leaks water from the base.",
        "issue_type": "DEFECTIVE_ITEM",
        "resolution": "REFUND",
        "date_of_purchase": PURCHASED,
        "warranty_period_choice": "P2Y",
        "product_description": "Used daily, no damage.",
    },
    "address": {
        "ship_address1": "123 Main St",
        "ship_city": "New York",
        "ship_zip": "10001",
        "ship_country": "US",
        "ship_state": "US-NY",
    },
}

_log = open(os.environ["LOAD_REQUEST_LOG"], "a", buffering=1)  # noqa: SIM115 (whole run)


@events.request.add_listener
def _logged(request_type, name, response_time, response_length, exception=None, **kwargs):
    line = {"t": time.time(), "kind": name, "ms": response_time, "ok": exception is None}
    _log.write(json.dumps(line) + "\n")


class _Form(HTMLParser):
    """The fields of the first form matching ``wanted`` (a class or an action), with their
    values as the page holds them: what ``new FormData(form)`` would send."""

    def __init__(self, wanted: str):
        super().__init__()
        self.wanted, self.inside, self.done = wanted, False, False
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and not self.done:
            classes = (attributes.get("class") or "").split()
            self.inside = self.wanted in classes or attributes.get("action") == self.wanted
            return
        if not self.inside:
            return
        name = attributes.get("name")
        if tag == "input" and name and attributes.get("type") not in ("file", "submit"):
            if attributes.get("type") in ("checkbox", "radio") and "checked" not in attributes:
                return
            self.fields[name] = attributes.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attributes:
            self.fields[self._select] = attributes.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside, self.done = False, True
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_fields(html: str, wanted: str) -> dict[str, str]:
    parser = _Form(wanted)
    parser.feed(html)
    return parser.fields


class Tablet(HttpUser):
    """One store tablet and the associate who uses it."""

    def on_start(self):
        number = next(NEXT_TABLET)
        if number >= len(TABLETS):
            raise StopUser()
        self.seeded = TABLETS[number]
        self.claims = 0
        self.unlocked = False
        host = urlsplit(self.host).hostname
        self.client.cookies.set("kiosk_tablet", self.seeded["cookie"], domain=host)

    def think(self):
        gevent.sleep(THINK_SECONDS)

    def expect(self, method, url, kind, statuses, **kwargs):
        """One request named ``kind``; a status outside ``statuses`` is a failure."""
        kwargs.setdefault("allow_redirects", False)
        with self.client.request(method, url, name=kind, catch_response=True, **kwargs) as answer:
            if answer.status_code not in statuses:
                why = f" ({answer.error!r})" if answer.error else ""
                answer.failure(f"{kind}: {answer.status_code}{why} for {method} {url}")
                self.think()
                raise _ClaimAbandoned(kind)
            answer.success()
        self.think()
        return answer

    @task
    def file_a_claim(self):
        if CLAIMS_PER_TABLET and self.claims >= CLAIMS_PER_TABLET:
            FINISHED.add(id(self))
            runner = self.environment.runner
            if len(FINISHED) >= min(len(TABLETS), runner.target_user_count or 0):
                gevent.spawn(runner.quit)  # every tablet is done: end the run early
            gevent.sleep(1)
            return
        try:
            self._claim()
        except _ClaimAbandoned:
            # As a person would: back to the locked screen, and start again.
            self.client.post("/tablet/lock/", name="lock", headers=self._csrf_header())
            self.unlocked = False
        self.claims += 1

    def _csrf_header(self) -> dict[str, str]:
        return {"X-CSRFToken": self.client.cookies.get("csrftoken", default="") or ""}

    def _unlock(self):
        pin_page = f"/tablet/unlock/{self.seeded['user_id']}/"
        page = self.expect("GET", pin_page, "unlock page", (200,))
        fields = {"csrfmiddlewaretoken": _csrf(page.text), "pin": self.seeded["pin"]}
        self.expect("POST", pin_page, "unlock", (302,), data=fields)
        self.unlocked = True

    def _claim(self):
        if not self.unlocked:
            self._unlock()
        home = self.expect("GET", "/", "home", (200,))
        started = self.expect(
            "POST",
            "/claims/new/",
            "start claim",
            (302,),
            data={"csrfmiddlewaretoken": _csrf(home.text), "store": STORE},
        )
        url = started.headers["Location"]
        self.number = next(NEXT_CLAIM)
        for slug in ("customer", "item", "address"):
            url = self._page(url, slug)
        review = self.expect("GET", url, "step page", (200,))
        reference = url.split("/")[2]
        submit_url = f"/claims/{reference}/submit/"
        fields = form_fields(review.text, submit_url)
        fields["signature_data"] = SIGNATURE
        submitted = self.expect("POST", submit_url, "submit", (302,), data=fields)
        if "/result/" not in submitted.headers["Location"]:
            self._fail("submit", f"sent back to {submitted.headers['Location']}")
        self._result(submitted.headers["Location"])
        if (self.claims + 1) % CLAIMS_PER_UNLOCK == 0:
            self.expect("POST", "/tablet/lock/", "lock", (302,), headers=self._csrf_header())
            self.unlocked = False

    def _page(self, url: str, slug: str) -> str:
        """Fill one step page in: autosaves as the associate types, photos, then Next."""
        page = self.expect("GET", url, "step page", (200,))
        fields = form_fields(page.text, "claim-form")
        typed = dict(TYPED[slug])
        if slug == "customer":
            typed["customer_email"] = f"{uuid.uuid4().hex[:12]}@load.example.com"
            typed["customer_phone"] = PHONES[self.number % len(PHONES)]
        half = dict(list(typed.items())[: len(typed) // 2])
        for given in (half, typed):
            sequence = int(fields.get("input_sequence") or 0) + 1
            fields |= given | {"input_sequence": str(sequence)}
            autosave = fields | {
                "nav": "autosave",
                "page_rendered_at": str(int(time.time() * 1000)),
                "request_id": str(uuid.uuid4()),
            }
            self.expect("POST", url, "step save", (200, 204), data=autosave, headers=AUTOMATIC)
        if slug == "item":
            reference = url.split("/")[2]
            for kind, photos in PHOTOS.items():
                # The receipts shift by one each round: a pair comes back only rarely.
                n = self.number + (self.number // len(photos) if kind == "receipt" else 0)
                photo = photos[n % len(photos)].read_bytes()
                self._upload(reference, fields["csrfmiddlewaretoken"], kind, photo)
        moved = self.expect("POST", url, "step next", (302,), data=fields | {"nav": "next"})
        location = moved.headers["Location"]
        if location.rstrip("/").endswith(slug):
            self._fail("step next", f"{slug} stayed on its page (invalid input?)")
        return location

    def _upload(self, reference: str, csrf: str, kind: str, photo: bytes) -> None:
        body, content_type = encode_multipart_formdata(
            {
                "kind": kind,
                "photo_id": str(uuid.uuid4()),
                "photo": (f"{kind}.jpg", photo, "image/jpeg"),
            }
        )
        headers = AUTOMATIC | {"X-CSRFToken": csrf, "Content-Type": content_type}
        url = f"/claims/{reference}/photos/"
        # As photos.js does: a busy portal (503, `busy`) gets the same photo again after
        # its Retry-After, a few times, before the associate would be asked.
        for _ in range(BUSY_RETRIES):
            answer = self.expect(
                "POST", url, "photo upload", (201, 503), data=body, headers=headers
            )
            if answer.status_code == 201:
                return
            gevent.sleep(float(answer.headers.get("Retry-After", "1")))
        self.expect("POST", url, "photo upload", (201,), data=body, headers=headers)

    def _result(self, url: str) -> None:
        """The result page, reloaded as its script does until the claim number shows."""
        give_up_at = time.monotonic() + RESULT_WAIT_SECONDS
        first = True
        while True:
            page = self.expect("GET", url if first else url + "?automatic=1", "result", (200,))
            first = False
            if CLAIM_NUMBER.search(page.text) or time.monotonic() > give_up_at:
                return
            refresh = REFRESH_AFTER.search(page.text)
            if refresh is None:
                return  # settled without a number (needs attention): counted after the run
            gevent.sleep(max(0.0, float(refresh.group(1)) - THINK_SECONDS))

    def _fail(self, kind: str, why: str):
        events.request.fire(
            request_type="CHECK",
            name=f"check: {kind}",
            response_time=0,
            response_length=0,
            exception=AssertionError(why),
            context={},
        )
        raise _ClaimAbandoned(kind)


class _ClaimAbandoned(Exception):
    """A step answered what a person would not go on from."""


def _csrf(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return found.group(1) if found else ""
