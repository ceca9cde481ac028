from django.urls import path

from visitors import amend_views, approval_views, insights_views, security_views, views

app_name = "visitors"

urlpatterns = [
    path("desk/", views.dashboard, name="dashboard"),
    path("desk/visits/<int:pk>/amend/", amend_views.amend, name="amend"),
    path("desk/visits/<int:pk>/id-number/", amend_views.reveal_id_number, name="reveal_id_number"),
    path("desk/visitors/<int:pk>/erase/", amend_views.erase, name="erase"),
    path("desk/live/", views.dashboard_live, name="dashboard_live"),
    path("desk/my-visitors/", views.my_visitors, name="my_visitors"),
    path("desk/register/", views.register, name="register"),
    path("desk/register/rooms/", views.room_options, name="room_options"),
    path("desk/register/hosts/", views.host_options, name="host_options"),
    path("desk/register/returning/", views.returning_visitors, name="returning_visitors"),
    path("desk/visits/<int:pk>/", views.visit_detail, name="visit"),
    path("desk/visits/<int:pk>/check-in/", views.check_in, name="check_in"),
    path("desk/visits/<int:pk>/check-out/", views.check_out, name="check_out"),
    path("desk/visits/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("desk/visits/<int:pk>/approve/", approval_views.approve, name="approve_walk_up"),
    path("desk/visits/<int:pk>/decline/", approval_views.decline, name="decline_walk_up"),
    path("desk/visits/<int:pk>/host-met/", views.host_met, name="host_met"),
    path("desk/visits/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("desk/visits/<int:pk>/no-show/", views.no_show, name="no_show"),
    path("desk/visits/<int:pk>/steps/", views.record_step, name="record_step"),
    path("desk/visits/<int:pk>/notes/", views.visitor_notes, name="visitor_notes"),
    path("desk/visits/<int:pk>/badge/", views.badge, name="badge"),
    path("desk/hospitality/", views.hospitality_list, name="hospitality"),
    path("desk/visits/<int:pk>/hospitality/", views.serve_hospitality, name="serve_hospitality"),
    path("desk/closing/", views.closing, name="closing"),
    path("desk/closing/check-out/", views.check_out_everyone, name="check_out_everyone"),
    path("desk/on-site/", views.on_site_list, name="on_site_list"),
    path("desk/log/", views.visitor_log, name="log"),
    path("desk/log/export.csv", views.visitor_log_export, name="log_export"),
    path("desk/security/", security_views.security_holds, name="security_holds"),
    path("desk/security/<int:pk>/clear/", security_views.clear_hold, name="clear_hold"),
    path("desk/security/<int:pk>/refuse/", security_views.refuse_hold, name="refuse_hold"),
    path("desk/insights/", insights_views.insights, name="insights"),
    path("desk/insights/<slug:table>.csv", insights_views.insights_csv, name="insights_csv"),
]
