"""Provincial officers of a municipality act for the municipality's registrations, not the
whole province: their ``act_in_province`` grant becomes ``act_for_organisation`` on the
municipality (kept on the province only when another, non-municipal provincial membership
of theirs in that province needs it)."""

from django.db import migrations


def to_municipality(apps, schema_editor):
    Membership = apps.get_model("provinces", "Membership")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    UserObjectPermission = apps.get_model("guardian", "UserObjectPermission")
    municipal = Membership.objects.filter(role="provincial_officer", organisation__kind="municipality").select_related(
        "organisation"
    )
    if not municipal.exists():
        return
    in_province = Permission.objects.filter(codename="act_in_province", content_type__app_label="provinces").first()
    for_organisation = Permission.objects.filter(
        codename="act_for_organisation", content_type__app_label="provinces"
    ).first()
    province_type = ContentType.objects.filter(app_label="provinces", model="province").first()
    organisation_type = ContentType.objects.filter(app_label="provinces", model="organisation").first()
    if not (in_province and for_organisation and province_type and organisation_type):
        return
    for membership in municipal:
        organisation = membership.organisation
        UserObjectPermission.objects.get_or_create(
            user_id=membership.user_id,
            permission=for_organisation,
            content_type=organisation_type,
            object_pk=str(organisation.pk),
        )
        keeps_province = (
            Membership.objects.filter(
                user_id=membership.user_id,
                role="provincial_officer",
                organisation__province_id=organisation.province_id,
            )
            .exclude(organisation__kind="municipality")
            .exists()
        )
        if not keeps_province:
            UserObjectPermission.objects.filter(
                user_id=membership.user_id,
                permission=in_province,
                content_type=province_type,
                object_pk=str(organisation.province_id),
            ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("provinces", "0004_access_administration"),
        ("guardian", "0002_generic_permissions_index"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(to_municipality, migrations.RunPython.noop)]
