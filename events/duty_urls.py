from django.urls import path

from events import duty_views

app_name = "duties"
urlpatterns = [
    path("", duty_views.duty_home, name="home"),
    path("template/<str:kind>.xlsx", duty_views.duty_template, name="template"),
    path("import/report.xlsx", duty_views.duty_report, name="report"),
    path("<str:code>/import/", duty_views.duty_import, name="import"),
    path("<str:code>/<str:kind>.xlsx", duty_views.duty_download, name="download"),
]
