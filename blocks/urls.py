from django.urls import path

from blocks import views

app_name = "blocks"
urlpatterns = [
    path("", views.area_browser, name="area_browser"),
    path("<str:code>/", views.area_detail, name="area_detail"),
]
