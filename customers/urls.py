from django.urls import path

from customers import views

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
]
