"""Keeps the role groups and the reference data in place after every ``migrate``/flush."""

from __future__ import annotations

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

from provinces.reference_data import ensure_reference_data
from provinces.roles import ROLE_PERMISSIONS


def ensure_roles_and_reference_data(sender, using="default", apps=global_apps, **kwargs) -> None:
    # post_migrate is sent once per app; act once, creating every app's permissions first.
    if sender.name != "provinces":
        return
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    sync_role_groups()
    from provinces.models import Crop, Province

    ensure_reference_data(Province, Crop)


def sync_role_groups() -> None:
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)
