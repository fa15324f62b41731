from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "demo"
    label = "demo"
    # No models, so the name shows nowhere a user looks: not a catalogue string.
    verbose_name = "Demo data"
