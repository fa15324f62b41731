from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from governance import audit_views, health, notification_views, twofactor, views
from liaison.landing import home

# The project's own pages, under the "governance" namespace.
governance_patterns = [
    path("notifications/", notification_views.notification_list, name="notifications"),
    path("notifications/unread/", notification_views.notification_badge, name="notification_badge"),
    path(
        "notifications/read-all/",
        notification_views.notification_read_all,
        name="notifications_read_all",
    ),
    path(
        "notifications/<int:notification_id>/read/",
        notification_views.notification_read,
        name="notification_read",
    ),
    path("audit/", audit_views.audit_log, name="audit_log"),
]

urlpatterns = [
    path("", home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("login/", twofactor.PasswordThenCodeLogin.as_view(), name="login"),
    path("login/code/", twofactor.login_code, name="login_code"),
    path("account/second-factor/", twofactor.second_factor, name="second_factor"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("logout/everywhere/", views.logout_everywhere, name="logout_everywhere"),
    path(
        "password/",
        views.PasswordChange.as_view(),
        name="password_change",
    ),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include((governance_patterns, "governance"))),
    path("areas/", include("blocks.urls")),
    path("events/", include("events.urls")),
    path("links/", include("liaison.urls")),
    path("duties/", include("events.duty_urls")),
    path("dashboard/", include("dashboards.urls")),
    path("r/", include("events.public_urls")),
    path("api/", include("governance.api_urls")),
    path("open311/v2/", include("events.open311_urls")),
    path(settings.ADMIN_URL, admin.site.urls),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
