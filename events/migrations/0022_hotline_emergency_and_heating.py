"""12345 set (DB11/T 2021-2022, issue 17): an emergency's department reports in and feeds
back within 2 h of dispatch, and heating (供热) joins the utilities. Existing databases get
the 供热 category, its hotline rows and the emergency's report-in row; the built-in
emergency resolve row now counts from dispatch (its minutes, if an administrator changed
them, are kept)."""

from django.db import migrations


def forward(apps, schema_editor):
    from events.categories import load_default_categories
    from events.deadlines import load_default_policies

    Category = apps.get_model("events", "Category")
    DeadlinePolicy = apps.get_model("events", "DeadlinePolicy")
    load_default_categories(Category)
    load_default_policies(Category, DeadlinePolicy)
    DeadlinePolicy.objects.filter(
        policy_set="hotline", kind="resolve", priority="red", district=None, category=None
    ).update(from_dispatch=True)


def backward(apps, schema_editor):
    DeadlinePolicy = apps.get_model("events", "DeadlinePolicy")
    DeadlinePolicy.objects.filter(policy_set="hotline", from_dispatch=True).update(
        from_dispatch=False
    )
    DeadlinePolicy.objects.filter(
        policy_set="hotline", kind="report_in", priority="red", district=None, category=None
    ).delete()
    DeadlinePolicy.objects.filter(policy_set="hotline", category__code="infra-heating").delete()
    # The 供热 category stays: cases may already be filed under it.


class Migration(migrations.Migration):
    dependencies = [("events", "0021_deadline_policy_from_dispatch")]

    operations = [migrations.RunPython(forward, backward)]
