from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from reception import views as reception_views
from reception.forms import AdminSignInForm, SignInForm
from visitors.api.endpoints import api

admin.site.login_form = AdminSignInForm
admin.site.site_header = _("Lobby")
admin.site.site_title = _("Lobby back office")
admin.site.index_title = _("Office manager's back office")

urlpatterns = [
    path("", reception_views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=SignInForm,
            redirect_authenticated_user=True,
            extra_context={"idle_minutes": settings.IDLE_TIMEOUT_MINUTES},
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("reception.urls")),
    path("", include("visitors.urls")),
    path("", include("visitors.public_urls")),
    path("", include("customers.urls")),
]

handler403 = "reception.error_pages.permission_denied"
handler404 = "reception.error_pages.page_not_found"
handler500 = "reception.error_pages.server_error"
