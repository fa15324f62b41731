from django.urls import path

from events import dispatch_views, views

app_name = "events"
urlpatterns = [
    path("", views.event_list, name="list"),
    path("export.xlsx", views.event_export, name="export"),
    path("workbench/", views.workbench, name="workbench"),
    path("workbench/queue/", views.workbench_queue, name="workbench_queue"),
    path("new/", views.event_log, name="log"),
    path("similar/", views.similar, name="similar"),
    path("console/", dispatch_views.console, name="console"),
    path("console/bulk/", dispatch_views.bulk_dispatch, name="bulk_dispatch"),
    path("inbox/", dispatch_views.inbox, name="inbox"),
    path("deadlines/", views.deadline_board, name="deadline_board"),
    path("hotline/", views.hotline_import, name="hotline_import"),
    path("hotline/report.xlsx", views.hotline_report, name="hotline_report"),
    path("parts/<int:part_id>/evaluate/", dispatch_views.evaluate, name="evaluate"),
    path("parts/<int:part_id>/<str:action>/", dispatch_views.part_action, name="part_action"),
    path("<str:number>/", views.event_detail, name="detail"),
    path("<str:number>/dispatch/", dispatch_views.dispatch, name="dispatch"),
    path("<str:number>/reveal/", views.reveal_phone, name="reveal_phone"),
    path("<str:number>/supervise/", views.event_supervise, name="supervise"),
    path(
        "<str:number>/clocks/<int:clock_id>/<str:what>/",
        views.deadline_change,
        name="deadline_change",
    ),
    path(
        "<str:number>/clock-changes/<int:change_id>/",
        views.deadline_decide,
        name="deadline_decide",
    ),
    path("<str:number>/<str:action>/", views.event_action, name="action"),
]
