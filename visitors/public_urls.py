"""Public addresses (printed on posters, in emails and QR codes: keep them
stable) and the two staff pages of invitations."""

from django.urls import path

from visitors import approval_views
from visitors import public_views as views

app_name = "public"

urlpatterns = [
    path("kiosk/", views.kiosk_start, name="kiosk_start"),
    path("kiosk/enrol/<str:token>/", views.kiosk_enrol, name="kiosk_enrol"),
    path("kiosk/walk-in/", views.kiosk_walk_in, name="kiosk_walk_in"),
    path("kiosk/walk-in/hosts/", views.kiosk_hosts, name="kiosk_hosts"),
    path("kiosk/code/", views.kiosk_code, name="kiosk_code"),
    path("kiosk/check-out/", views.kiosk_check_out, name="kiosk_check_out"),
    path("kiosk/done/", views.kiosk_done, name="kiosk_done"),
    path("i/ack/<str:token>/", views.acknowledge, name="acknowledge"),
    path("i/approve/<str:token>/", approval_views.approve_link, name="approve"),
    path("i/<str:token>/", views.invitation, name="invitation"),
    path("desk/invitations/new/", views.invite, name="invite"),
    path("desk/invitations/new/rooms/", views.invite_rooms, name="invite_rooms"),
    path("desk/invitations/check-in/", views.desk_check_in, name="desk_check_in"),
    path("desk/notifications/", views.desk_notifications, name="desk_notifications"),
]
