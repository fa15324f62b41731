from django.urls import path

from dashboards import rebuild, views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("evaluations/", views.two_way_evaluations, name="evaluations"),
    path("reports/<int:pk>/", views.report_job, name="report_job"),
    path("reports/<int:pk>/download/", views.report_download, name="report_download"),
    path("<str:code>/", views.area_dashboard, name="area"),
    path("<str:code>/screen/", views.big_screen, name="big_screen"),
    path("<str:code>/data.json", views.dashboard_data, name="data"),
    path("<str:code>/report/", views.monthly_report, name="report"),
    path("<str:code>/report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("<str:code>/rebuild/", rebuild.rebuild_page, name="rebuild"),
]
