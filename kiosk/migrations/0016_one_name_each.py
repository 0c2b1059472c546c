"""One name per idea: a delivery attempt (a send or a lookup), its typed outcome, the claim
number (OrderProtection's sourceOrderId), OrderProtection's id, and "sending"."""

from django.db import migrations, models


def rename_sending(apps, schema_editor, old="submitting", new="sending"):
    apps.get_model("kiosk", "Claim").objects.filter(status=old).update(status=new)


def rename_sending_back(apps, schema_editor):
    rename_sending(apps, schema_editor, old="sending", new="submitting")


def rename_permissions(apps, schema_editor, old="submissionattempt", new="deliveryattempt"):
    """The content type was renamed with the model; its permissions keep their old codenames
    unless renamed here (post_migrate would add new ones beside them)."""
    permission = apps.get_model("auth", "Permission")
    for action in ("add", "change", "delete", "view"):
        permission.objects.filter(
            content_type__app_label="kiosk", codename=f"{action}_{old}"
        ).update(
            codename=f"{action}_{new}",
            name=f"Can {action} {new.replace('attempt', ' attempt')}",
        )


def rename_permissions_back(apps, schema_editor):
    rename_permissions(apps, schema_editor, old="deliveryattempt", new="submissionattempt")


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("kiosk", "0015_store_pin_min_length"),
    ]

    operations = [
        migrations.RenameModel("SubmissionAttempt", "DeliveryAttempt"),
        migrations.RunPython(rename_permissions, rename_permissions_back),
        migrations.AlterField(
            model_name="deliveryattempt",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "No answer recorded yet"),
                    ("filed", "Filed"),
                    ("rejected", "Rejected"),
                    ("unauthorized", "Credentials refused"),
                    ("misconfigured", "Refused: configuration"),
                    ("unavailable", "Unavailable"),
                    ("unknown", "Outcome unknown"),
                    ("found", "Found at OrderProtection"),
                    ("not_found", "Not found at OrderProtection"),
                    ("ambiguous", "Several candidates found"),
                    ("lookup_failed", "Lookup failed"),
                    ("error", "Internal error"),
                    ("interrupted", "Sender stopped"),
                ],
                default="",
                max_length=16,
            ),
        ),
        migrations.RenameField("claim", "source_order_id", "claim_number"),
        migrations.RemoveIndex(model_name="claim", name="kiosk_claim_op_clai_a2bebd_idx"),
        migrations.RenameField("claim", "op_claim_id", "orderprotection_id"),
        migrations.AlterField(
            model_name="claim",
            name="orderprotection_id",
            field=models.CharField(blank=True, max_length=64, verbose_name="OrderProtection id"),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(
                fields=["orderprotection_id"], name="kiosk_claim_orderpr_ae1865_idx"
            ),
        ),
        migrations.AlterField(
            model_name="claim",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "Draft"),
                    ("queued", "Queued for delivery"),
                    ("sending", "Sending"),
                    ("outcome_unknown", "Outcome unknown"),
                    ("filed", "Filed"),
                    ("needs_attention", "Needs attention"),
                ],
                db_index=True,
                default="draft",
                max_length=16,
                verbose_name="delivery status",
            ),
        ),
        migrations.AlterField(
            model_name="claim",
            name="claim_state",
            field=models.CharField(
                blank=True, db_index=True, max_length=32, verbose_name="state at OrderProtection"
            ),
        ),
        migrations.RunPython(rename_sending, rename_sending_back),
    ]
