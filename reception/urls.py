from django.urls import path

from reception import views

app_name = "reception"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("desk/roster/", views.roster, name="roster"),
    path("desk/roster/now/", views.duty_panel, name="duty_panel"),
    path("desk/handover/", views.handover_list, name="handover_list"),
    path("desk/handover/new/", views.handover_new, name="handover_new"),
    path("desk/handover/<int:pk>/", views.handover_detail, name="handover_detail"),
    path("desk/handover/<int:pk>/acknowledge/", views.handover_acknowledge, name="handover_acknowledge"),
    path("desk/lost-found/", views.lost_item_list, name="lost_item_list"),
    path("desk/lost-found/new/", views.lost_item_new, name="lost_item_new"),
    path("desk/lost-found/<int:pk>/", views.lost_item_detail, name="lost_item_detail"),
    path("desk/lost-found/<int:pk>/return/", views.lost_item_return, name="lost_item_return"),
    path("desk/incidents/", views.incident_list, name="incident_list"),
    path("desk/incidents/new/", views.incident_new, name="incident_new"),
    path("desk/incidents/<int:pk>/", views.incident_detail, name="incident_detail"),
    path("desk/incidents/<int:pk>/follow-up/", views.incident_follow_up, name="incident_follow_up"),
    path("desk/incidents/<int:pk>/close/", views.incident_close, name="incident_close"),
    path("desk/rules/", views.rules, name="rules"),
    path("desk/rules/banner/", views.rules_banner, name="rules_banner"),
    path("desk/rules/<int:number>/", views.rules, name="rules_version"),
    path("desk/rules/<int:number>/acknowledge/", views.rules_acknowledge, name="rules_acknowledge"),
    path("desk/reports/morning/", views.morning_report, name="morning_report"),
]
