"""Where an error summary's links lead on the tablet's pages."""

from django import forms, template

register = template.Library()


@register.filter
def error_anchor(field: forms.BoundField) -> str:
    """The id of the element that takes the focus for a field's error: the field itself;
    for a group of choices (tiles, radios) its chosen or first choice; for a hidden field,
    the element its form names (`error_anchors`), else the block around it."""
    if anchor := getattr(field.form, "error_anchors", {}).get(field.name):
        return anchor
    if field.is_hidden:
        return f"{field.name}-block"
    if isinstance(field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        choices = field.subwidgets
        chosen = next((choice for choice in choices if choice.data["selected"]), None)
        return (chosen or choices[0]).id_for_label if choices else field.auto_id
    return field.id_for_label or field.auto_id
