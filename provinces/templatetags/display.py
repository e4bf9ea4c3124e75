"""Template filters that show values one way on every page: ``{{ worker.cuil|cuil }}``."""

from django import template
from django.utils.translation import to_locale

from provinces.display import format_cuil

register = template.Library()


@register.filter(name="cuil")
def cuil(value) -> str:
    return format_cuil(value)


@register.filter(name="language_tag")
def language_tag(code) -> str:
    """Django's language code as a BCP 47 tag for ``<html lang>``: ``es-ar`` → ``es-AR``."""
    return to_locale(str(code or "")).replace("_", "-")
