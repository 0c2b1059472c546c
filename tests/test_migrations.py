"""Migration 0016 renames what the audit record holds: nothing in it may be lost."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("kiosk", "0015_store_pin_min_length")]
AFTER = [("kiosk", "0016_one_name_each")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def back_to_the_latest_migrations():
    """The tests after these find the schema as the code has it, migrations since included."""
    yield
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_one_name_each_keeps_the_attempts_the_numbers_and_the_permissions():
    apps = migrate(BEFORE)
    user = apps.get_model("auth", "User").objects.create(username="old")
    store = apps.get_model("kiosk", "Store").objects.create(name="Old", source_store_id="old")
    claim = apps.get_model("kiosk", "Claim").objects.create(
        store=store,
        created_by=user,
        reference="R-OLD00001",
        status="submitting",
        source_order_id="OP-1234-5678",
        op_claim_id="cm-old",
    )
    apps.get_model("kiosk", "SubmissionAttempt").objects.create(
        claim=claim, number=1, url="http://api/v1/claims/offline", request_body={}, outcome="filed"
    )
    content_type = apps.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="kiosk", model="submissionattempt"
    )[0]
    apps.get_model("auth", "Permission").objects.get_or_create(
        content_type=content_type, codename="view_submissionattempt", name="Can view"
    )

    apps = migrate(AFTER)

    claim = apps.get_model("kiosk", "Claim").objects.get(reference="R-OLD00001")
    assert (claim.status, claim.claim_number, claim.orderprotection_id) == (
        "sending",
        "OP-1234-5678",
        "cm-old",
    )
    attempt = apps.get_model("kiosk", "DeliveryAttempt").objects.get(claim=claim)
    assert (attempt.number, attempt.outcome) == (1, "filed")
    codenames = set(
        apps.get_model("auth", "Permission")
        .objects.filter(content_type__app_label="kiosk", content_type__model="deliveryattempt")
        .values_list("codename", flat=True)
    )
    assert "view_deliveryattempt" in codenames
    assert "view_submissionattempt" not in codenames
