"""The demo district and its data (`manage.py seed_demo`): at the top of the apps, so no app's
runtime code carries demo generation, and nothing below may import it."""
