"""The fan-out of risk assessments: a claim queues again the claims it matched, once each.

Many claims sharing something (the store's phone typed for customers without one, a
receipt reused by a fraud ring) used to make each new claim queue every claim it matched,
and each of those read all of its own: O(N²). A claim already queued and not started is
not queued twice; a repeat claimant (found on the later claim only) queues nothing; at most
RISK_REASSESS_MATCHES_MAX are queued, the newest. The tasks backend is replaced by a FIFO
queue that the test runs dry, as a worker would.
"""

import datetime
import io
import uuid
from collections import deque

import pytest
from django.core.management import call_command
from django.utils import timezone

from kiosk.admin.risk_words import MatchedClaims, signal_sentence
from kiosk.models import Claim, ClaimAttachment, RiskSignal
from kiosk.risk import scoring, tasks
from kiosk.risk.findings import Finding
from kiosk.risk.scoring import claim_risk_assess
from tests.factories import ClaimFactory, hashed_photo

pytestmark = pytest.mark.django_db

TASK = tasks.claim_risk_assess_task
RECEIPT_SHA = uuid.uuid4().hex
RECEIPT_HASHES = [0x1234_5678_9ABC_DEF]


class Queue:
    """The tasks backend: what was queued, in order; `run()` is the worker."""

    def __init__(self) -> None:
        self.jobs: deque[tuple[int, bool]] = deque()
        self.queued: list[int] = []
        self.runs = 0

    def enqueue(self, claim_pk: int, follow_matches: bool = True) -> None:
        self.jobs.append((claim_pk, follow_matches))
        self.queued.append(claim_pk)

    def run(self) -> None:
        while self.jobs:
            TASK.call(*self.jobs.popleft())
            self.runs += 1


@pytest.fixture
def queue(monkeypatch, settings) -> Queue:
    settings.TASKS_ENQUEUE_ON_COMMIT = False
    fake = Queue()
    monkeypatch.setattr(tasks, "claim_risk_assess_task", fake)
    # The worker's fresh connection each task would close the test's transaction.
    monkeypatch.setattr(tasks, "close_old_connections", lambda: None)
    return fake


def file_claim(number: int, *, receipt: bool = True) -> Claim:
    """A submitted claim with the shared phone (and receipt), its own email and address."""
    claim = ClaimFactory(
        status=Claim.Status.FILED,
        submitted_at=timezone.now(),
        customer_email=f"customer{number}@example.com",
        customer_phone="+12125550100",
        ship_address1=f"{number} Main St",
    )
    hashed_photo(claim, [number * 0x0F0F_0F0F_0F0F], kind=ClaimAttachment.Kind.ITEM)
    if receipt:
        photo = hashed_photo(claim, RECEIPT_HASHES, kind=ClaimAttachment.Kind.RECEIPT)
        ClaimAttachment.objects.filter(pk=photo.pk).update(sha256=RECEIPT_SHA)
    return claim


def file_in_bursts(queue: Queue, claims: int, burst: int, **kwargs) -> list[Claim]:
    """File claims `burst` at a time (the tablets file while the worker is busy)."""
    filed = []
    for number in range(claims):
        filed.append(file_claim(number, **kwargs))
        tasks.risk_assess_queue(filed[-1].pk)
        if len(filed) % burst == 0:
            queue.run()
    queue.run()
    return filed


def signals_of(claims: list[Claim]) -> dict:
    return {
        (signal.claim_id, signal.code): (signal.matched_claim_ids, signal.detail)
        for signal in RiskSignal.objects.filter(claim__in=claims)
    }


def test_claims_sharing_a_phone_and_a_receipt_cost_linear_assessments(queue):
    claims = file_in_bursts(queue, 30, burst=15)
    # Each claim's own run; then, once each, the one assessed just before it (which could
    # not tell whether it had found this one) and the first burst's (they had not): a few
    # a claim, not one for each claim it matched (30 × 29 / 2).
    assert queue.runs <= 3 * len(claims)
    # And correct: each claim knows of all the others, as a fresh assessment finds them.
    after = signals_of(claims)
    first = claims[0]
    matched, detail = after[(first.pk, RiskSignal.Code.RECEIPT_REUSE)]
    assert len(matched) + detail["more"] == len(claims) - 1
    for claim in claims:
        claim_risk_assess(claim_pk=claim.pk)
    assert signals_of(claims) == after


def test_a_repeat_claimant_queues_no_assessment_of_the_earlier_claims(queue):
    claims = file_in_bursts(queue, 10, burst=1, receipt=False)
    assert queue.queued == [claim.pk for claim in claims]
    matched, _ = signals_of(claims)[(claims[-1].pk, RiskSignal.Code.REPEAT_CLAIMANT)]
    assert matched == sorted(claim.pk for claim in claims[:-1])


def test_a_claim_queued_and_not_started_is_not_queued_again(queue):
    older, newer = file_claim(1), file_claim(2)
    assert tasks.risk_reassess_queue({older.pk}) == [older.pk]
    assert tasks.risk_reassess_queue({older.pk, newer.pk}) == [newer.pk]
    assert queue.queued == [older.pk, newer.pk]
    queue.run()
    assert Claim.objects.filter(risk_queued_at__isnull=False).count() == 0
    # Started and done: the next match queues it again.
    assert tasks.risk_reassess_queue({older.pk}) == [older.pk]


def test_a_match_during_the_assessment_queues_it_again(queue, monkeypatch):
    """The mark is cleared as the assessment starts: a claim matched while it runs (its
    finders may have read before the match was there) is queued once more."""
    older, newer = file_claim(1), file_claim(2)
    tasks.risk_reassess_queue({older.pk})

    matched_meanwhile = []

    def finder(claim):
        if claim.pk == older.pk and not matched_meanwhile:
            matched_meanwhile.append(newer.pk)
            # Another worker, assessing the newer claim meanwhile, matches the older one.
            assert tasks.risk_reassess_queue({older.pk}) == [older.pk]
        return []

    monkeypatch.setattr(scoring, "FINDERS", (finder,))
    queue.run()
    assert queue.queued == [older.pk, older.pk]
    assert Claim.objects.get(pk=older.pk).risk_queued_at is None


def test_at_most_the_setting_newest_matched_claims_are_queued(queue, settings, monkeypatch):
    settings.RISK_REASSESS_MATCHES_MAX = 3
    claims = [file_claim(number, receipt=False) for number in range(8)]
    newest = claims[-1]
    others = tuple(claim.pk for claim in claims[:-1])
    monkeypatch.setattr(
        scoring,
        "FINDERS",
        (lambda c: [Finding("photo_copy", {}, others)] if c.pk == newest.pk else [],),
    )
    TASK.call(newest.pk)
    assert queue.queued == sorted(claim.pk for claim in claims[-4:-1])
    # The newest claim itself names every match.
    assert signals_of([newest])[(newest.pk, "photo_copy")][0] == sorted(others)


def test_a_reassessment_that_could_not_be_queued_is_queued_by_the_next_match(queue, monkeypatch):
    claim = file_claim(1)

    class Broken:
        def enqueue(self, *args):
            raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks, "claim_risk_assess_task", Broken())
    assert tasks.risk_reassess_queue({claim.pk}) == [claim.pk]
    assert Claim.objects.get(pk=claim.pk).risk_queued_at is None
    monkeypatch.setattr(tasks, "claim_risk_assess_task", queue)
    assert tasks.risk_reassess_queue({claim.pk}) == [claim.pk]
    assert queue.queued == [claim.pk]


def test_assess_risk_unscored_catches_up_a_lost_reassessment(queue):
    claim = file_claim(1)
    claim_risk_assess(claim_pk=claim.pk)
    tasks.risk_reassess_queue({claim.pk})
    queue.jobs.clear()  # the queue lost it
    call_command("assess_risk", "--unscored", "--older-than", "10", stdout=io.StringIO())
    assert Claim.objects.get(pk=claim.pk).risk_queued_at is not None  # not yet 10 minutes
    eleven_minutes_ago = timezone.now() - datetime.timedelta(minutes=11)
    Claim.objects.filter(pk=claim.pk).update(
        submitted_at=eleven_minutes_ago, risk_queued_at=eleven_minutes_ago
    )
    call_command("assess_risk", "--unscored", "--older-than", "10", stdout=io.StringIO())
    assert Claim.objects.get(pk=claim.pk).risk_queued_at is None


def test_the_desk_counts_the_matches_a_signal_found_beyond_those_it_lists():
    signal = RiskSignal(
        code=RiskSignal.Code.RECEIPT_REUSE,
        weight=30,
        detail={
            "kind": "receipt",
            "matches": [{"claim": 1, "distance": 0, "exact": True}],
            "more": 180,
            "nearest": 0,
        },
        matched_claim_ids=[1, 2],
    )
    words = str(signal_sentence(signal, MatchedClaims({1: "OP-123"})))
    assert "OP-123</a> and 180 more claims:" in words
