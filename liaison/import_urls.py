from django.urls import path

from liaison import import_views

app_name = "duties"
urlpatterns = [
    path("", import_views.duty_home, name="home"),
    path("template/<str:kind>.xlsx", import_views.duty_template, name="template"),
    path("import/report.xlsx", import_views.duty_report, name="report"),
    path("<str:code>/import/", import_views.duty_import, name="import"),
    path("<str:code>/<str:kind>.xlsx", import_views.duty_download, name="download"),
]
