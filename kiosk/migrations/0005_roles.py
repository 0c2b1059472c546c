from django.contrib.auth.management import create_permissions
from django.db import migrations


def roles_create(apps, schema_editor):
    """The groups "Associates" and "Store managers", with their permissions."""
    from kiosk.roles import roles_sync

    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_sync(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("kiosk", "0004_manager_desk"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(roles_create, migrations.RunPython.noop)]
