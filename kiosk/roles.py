"""The roles people have in the portal, as groups with permissions.

Associates file claims on the tablet and have no admin access; store managers
review their stores' claims in the admin. A data migration creates the groups,
and every `migrate` (through post_migrate) keeps their permissions in step, so a
permission added later reaches the group and a test database flush restores them.
"""

from django.apps import apps as global_apps

ASSOCIATES = "Associates"
STORE_MANAGERS = "Store managers"
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    ASSOCIATES: (),
    STORE_MANAGERS: (
        "view_claim",
        "view_claimattachment",
        "view_deliveryattempt",
        "view_store",
        "view_manageraction",
        "retry_delivery",
        "export_claims",
        "add_tablet",
        "view_tablet",
        "change_tablet",
        "add_associatepin",
        "change_associatepin",
        "view_associatepin",
        "view_lockout",
        "change_lockout",
        "view_product",
        "view_variant",
        "import_catalog",
        "decide_risk",
    ),
}


def roles_sync(*, apps=global_apps) -> None:
    """Create the role groups if missing and give each exactly its kiosk permissions."""
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        wanted = permission_model.objects.filter(
            content_type__app_label="kiosk", codename__in=codenames
        )
        kept = group.permissions.exclude(content_type__app_label="kiosk")
        group.permissions.set([*kept, *wanted])


def roles_sync_after_migrate(sender, *, apps=global_apps, **kwargs) -> None:
    roles_sync(apps=apps)
