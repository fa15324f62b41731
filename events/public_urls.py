"""Residents' pages without an account: report, track, rate (mounted at /r/)."""

from django.urls import path

from events import public

app_name = "public"
urlpatterns = [
    path("", public.report, name="report"),
    path("areas/", public.area_options, name="area_options"),
    path("locate/", public.locate, name="locate"),
    path("suggest/", public.suggest, name="suggest"),
    path("done/<str:code>/", public.done, name="done"),
    path("t/", public.track_lookup, name="lookup"),
    path("t/<str:code>/", public.track, name="track"),
    path("t/<str:code>/rate/", public.rate, name="rate"),
]
