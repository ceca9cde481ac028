from django.urls import path

from customers import care_views, summary_views, views

app_name = "customers"

urlpatterns = [
    path("desk/customers/", views.customer_list, name="customer_list"),
    path("desk/customers/new/", views.customer_new, name="customer_new"),
    path("desk/customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("desk/customers/<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("desk/customers/link-visit/<int:visit_id>/", views.link_visit, name="link_visit"),
    path("desk/rotation/", views.rotation_view, name="rotation"),
    path("desk/rotation/next/", views.next_turn, name="next"),
    path("desk/rotation/override/", views.override_turn, name="override"),
    path("desk/rotation/assignments/<int:pk>/greet/", views.greet, name="greet"),
    path("desk/rotation/away/", views.away, name="away"),
    path("desk/rotation/away/<int:pk>/back/", views.back, name="back"),
    path("desk/rotation/fairness/", views.fairness_view, name="fairness"),
    path("desk/calls/", views.call_list, name="call_list"),
    path("desk/calls/new/", views.call_new, name="call_new"),
    path("desk/calls/export.csv", views.call_export, name="call_export"),
    # customer care (R5, R9.3, R10.2-R10.3; issue #18)
    path("desk/complaints/", care_views.complaint_list, name="complaint_list"),
    path("desk/complaints/new/", care_views.complaint_new, name="complaint_new"),
    path("desk/complaints/<int:pk>/", care_views.complaint_detail, name="complaint_detail"),
    path("desk/complaints/<int:pk>/route/", care_views.complaint_route, name="complaint_route"),
    path("desk/complaints/<int:pk>/supervisor/", care_views.complaint_supervisor, name="complaint_supervisor"),
    path("desk/complaints/<int:pk>/reply/", care_views.complaint_reply, name="complaint_reply"),
    path("desk/complaints/<int:pk>/close/", care_views.complaint_close, name="complaint_close"),
    path("desk/complaints/<int:pk>/reopen/", care_views.complaint_reopen, name="complaint_reopen"),
    path("desk/complaints/<int:pk>/acknowledge/", care_views.complaint_acknowledge, name="complaint_acknowledge"),
    path("desk/complaints/<int:pk>/files/<str:which>/", care_views.complaint_file, name="complaint_file"),
    path("desk/follow-ups/new/", care_views.follow_up_new, name="follow_up_new"),
    path("desk/follow-ups/<int:pk>/", care_views.follow_up_done, name="follow_up_done"),
    path("desk/feedback/new/", care_views.feedback_new, name="feedback_new"),
    path("desk/feedback/<int:pk>/resolve/", care_views.feedback_resolve, name="feedback_resolve"),
    path("desk/customers/due/", care_views.due_view, name="due"),
    path("desk/complaints/summary/", summary_views.complaint_summary, name="complaint_summary"),
    path("desk/complaints/summary/<slug:table>.csv", summary_views.complaint_summary_csv, name="complaint_summary_csv"),
]
