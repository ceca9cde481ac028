"""Roles are Django groups; this table says which permissions each one holds.

The groups are created and kept in step by data migrations that call
`sync_roles`; the office manager sees them in the admin and gives staff their
duties, the installation administrator alone changes them (issue #15). A
migration that adds a permission to this table must call `sync_roles` again
(tests/reception/test_roles.py fails until it does).
"""

from reception.models import DutyCode

OFFICE_MANAGER = "Office manager"

# Group name for each duty (stable English names; the UI shows translated labels).
DUTY_GROUPS = {
    DutyCode.RECEPTION_CENTRE: "Reception centre",
    DutyCode.SECURITY: "Security on duty",
    DutyCode.CLERK: "Front-desk clerk",
    DutyCode.HOST: "Host (handling department)",
    DutyCode.SECRETARY: "Secretary",
    DutyCode.DIRECTOR: "Office director",
    DutyCode.NIGHT_OFFICER: "Night-duty officer",
    DutyCode.SALESPERSON: "Salesperson",
    DutyCode.FLOOR_MANAGER: "Sales floor manager",
}

# R2, R9.2: the desk presses "Next salesperson", greets for the salesperson,
# logs calls and links visits to customers; it sees every customer of the
# site, since it matches callers and walk-ins against them (customers/).
_CARE_DESK = [
    "customers.view_complaint",
    "customers.view_all_complaints",
    "customers.add_complaint",
    "customers.handle_complaint",
    "customers.view_followup",
    "customers.add_followup",
    "customers.change_followup",
    "customers.view_feedback",
    "customers.add_feedback",
    "customers.change_feedback",
]

_SALES_DESK = [
    "customers.view_customer",
    "customers.view_all_customers",
    "customers.add_customer",
    "customers.link_visitor",
    "customers.view_assignment",
    "customers.assign_turn",
    "customers.greet_customer",
    "customers.view_call",
    "customers.view_all_calls",
    "customers.add_call",
    "customers.export_calls",
    # R5, R9.3, R10.2 (issue #18): the desk opens and routes complaints, logs
    # feedback and schedules follow-ups for every customer of the site.
    *_CARE_DESK,
]

# Issue #19: the watchlist is security's and the office manager's alone;
# nobody else reads it, not even the desk that registers the visit.
_WATCHLIST = [
    "visitors.view_watchlistentry",
    "visitors.add_watchlistentry",
    "visitors.change_watchlistentry",
    "visitors.delete_watchlistentry",
    "visitors.view_securityhold",
]

_DESK = [
    "visitors.view_visit",
    "visitors.view_visitor",
    "visitors.register_visit",
    "visitors.check_in_visit",
    "visitors.check_out_visit",
    "visitors.invite_visitor",
    "visitors.view_visitor_log",
    "visitors.export_visitor_log",
    "visitors.amend_visit",
    "visitors.serve_hospitality",
    "reception.view_rosterentry",
    "reception.add_handover",
    "reception.view_handover",
    "reception.add_lostitem",
    "reception.change_lostitem",
    "reception.view_lostitem",
    "reception.add_incident",
    "reception.change_incident",
    "reception.view_incident",
    *_SALES_DESK,
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    DUTY_GROUPS[DutyCode.CLERK]: _DESK,
    DUTY_GROUPS[DutyCode.NIGHT_OFFICER]: _DESK,
    DUTY_GROUPS[DutyCode.SECURITY]: [
        "visitors.view_visit",
        "visitors.check_in_visit",
        "visitors.check_out_visit",
        "visitors.view_id_number",
        # Issue #19: security keeps the watchlist and decides on the visits it holds.
        *_WATCHLIST,
        "visitors.clear_security_hold",
        "reception.view_rosterentry",
        "reception.add_handover",
        "reception.view_handover",
        "reception.add_lostitem",
        "reception.change_lostitem",
        "reception.view_lostitem",
        "reception.add_incident",
        "reception.change_incident",
        "reception.view_incident",
    ],
    DUTY_GROUPS[DutyCode.SECRETARY]: [
        "visitors.view_visit",
        "visitors.view_visitor",
        "visitors.register_visit",
        "visitors.check_in_visit",
        "visitors.invite_visitor",
        "visitors.view_visitor_log",
        # R3.2: the default escalation chain reaches the secretary and the
        # director; the app lets them acknowledge a visit they were told of.
        "visitors.acknowledge_visit",
        "visitors.serve_hospitality",
        "reception.view_rosterentry",
    ],
    DUTY_GROUPS[DutyCode.HOST]: [
        "visitors.invite_visitor",
        "visitors.acknowledge_visit",
        # R5.3, R9.3: a department's handlers see what is routed to them.
        "customers.view_complaint",
        "customers.handle_complaint",
        "customers.view_feedback",
        "customers.change_feedback",
        "reception.view_rosterentry",
    ],
    DUTY_GROUPS[DutyCode.RECEPTION_CENTRE]: [
        "visitors.view_visit",
        "visitors.serve_hospitality",
        "reception.view_receptionroom",
        "reception.view_rosterentry",
    ],
    DUTY_GROUPS[DutyCode.DIRECTOR]: [
        *_DESK,
        "visitors.acknowledge_visit",
        "visitors.override_night_duty",
        "visitors.view_insights",
        "reception.view_receptionroom",
        "customers.view_complaint_summary",
    ],
    # R2.4, R2.5: a salesperson sees their own customers and calls, greets
    # the customers given to them and marks themself away; never takes a
    # customer out of turn (no assign_turn, no override_turn: R2.3).
    DUTY_GROUPS[DutyCode.SALESPERSON]: [
        "customers.view_customer",
        "customers.view_call",
        "customers.view_assignment",
        "customers.greet_customer",
        "customers.add_awaymark",
        # R5.1, R10.2: complaints, feedback and follow-ups of their own customers.
        "customers.view_complaint",
        "customers.add_complaint",
        "customers.view_followup",
        "customers.add_followup",
        "customers.change_followup",
        "customers.view_feedback",
        "customers.add_feedback",
        "customers.change_feedback",
        "reception.view_rosterentry",
    ],
    # R2.2: the floor manager sees the whole floor, keeps the order fair,
    # overrides it with a reason, and sets customers' tiers and owners.
    DUTY_GROUPS[DutyCode.FLOOR_MANAGER]: [
        *_SALES_DESK,
        "customers.change_customer",
        "customers.override_turn",
        "customers.view_fairness",
        "customers.add_awaymark",
        "customers.mark_others_away",
        "customers.view_complaint_summary",
        "reception.view_rosterentry",
    ],
    # Issue #15: the office manager runs their own site. New sites, department
    # names and duty descriptions are shared by every site, and groups'
    # permissions are this table's: the installation administrator's.
    OFFICE_MANAGER: [
        "reception.change_site",
        "reception.view_site",
        "reception.add_department",
        "reception.view_department",
        "reception.add_staffprofile",
        "reception.change_staffprofile",
        "reception.view_staffprofile",
        "reception.add_visitorcategory",
        "reception.change_visitorcategory",
        "reception.view_visitorcategory",
        # Issue #19: the agreements visitors sign; versions are written by the
        # agreement's admin, never edited; signed copies are read-only.
        "visitors.view_agreement",
        "visitors.add_agreement",
        "visitors.change_agreement",
        "visitors.view_agreementversion",
        "visitors.view_signedagreement",
        "reception.add_receptionroom",
        "reception.change_receptionroom",
        "reception.view_receptionroom",
        "reception.view_duty",
        "reception.add_rosterentry",
        "reception.change_rosterentry",
        "reception.delete_rosterentry",
        "reception.view_rosterentry",
        "auth.add_user",
        "auth.change_user",
        "auth.view_user",
        "auth.view_group",
        "visitors.view_visit",
        "visitors.view_visitor",
        "visitors.view_visitor_log",
        "visitors.export_visitor_log",
        "visitors.erase_visitor",
        "visitors.view_auditevent",
        "visitors.view_notification",
        "visitors.view_invitation",
        "visitors.view_insights",
        *_WATCHLIST,
        "reception.add_kioskdevice",
        "reception.change_kioskdevice",
        "reception.view_kioskdevice",
        # Issue #21: integrations' API tokens, created and revoked here.
        "reception.add_apitoken",
        "reception.change_apitoken",
        "reception.view_apitoken",
        "reception.add_notificationchannel",
        "reception.change_notificationchannel",
        "reception.delete_notificationchannel",
        "reception.view_notificationchannel",
        "reception.add_escalationstep",
        "reception.change_escalationstep",
        "reception.delete_escalationstep",
        "reception.view_escalationstep",
        "reception.view_handover",
        "reception.view_lostitem",
        "reception.view_incident",
        # Issue #22: the written rules; a version is never changed nor deleted.
        "reception.add_rulesversion",
        "reception.view_rulesversion",
        # R2, R10.1: the rotation queues, tiers and greeting limits are edited
        # in the back office (customers/admin.py), audited.
        "customers.view_customer",
        "customers.view_all_customers",
        "customers.change_customer",
        "customers.view_rotationqueue",
        "customers.add_rotationqueue",
        "customers.change_rotationqueue",
        "customers.view_assignment",
        "customers.view_fairness",
        "customers.view_call",
        "customers.view_all_calls",
        # R5.2, R5.3, R10.2: handlers, heads, limits and tier intervals (issue #18).
        "customers.view_complaint",
        "customers.view_all_complaints",
        "customers.view_complaint_summary",
        "customers.view_caresettings",
        "customers.add_caresettings",
        "customers.change_caresettings",
        "customers.view_complainthandler",
        "customers.add_complainthandler",
        "customers.change_complainthandler",
        "customers.delete_complainthandler",
        "customers.view_followup",
        "customers.view_feedback",
    ],
}


def sync_roles(apps, schema_editor=None) -> None:
    """Create every group and give it exactly the permissions in ROLE_PERMISSIONS.

    Works on historical models inside migrations. Permissions are created first,
    because Django only creates them after the whole migrate run. Each migration
    that adds models named here must call it again.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Duty = apps.get_model("reception", "Duty")

    for group_name, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        wanted = [tuple(code.split(".")) for code in codes]
        perms = [
            perm
            for perm in Permission.objects.filter(codename__in=[codename for _, codename in wanted]).select_related(
                "content_type"
            )
            if (perm.content_type.app_label, perm.codename) in wanted
        ]
        # A permission whose model a later migration adds is granted when that
        # migration calls sync_roles again.
        group.permissions.set(perms)

    for duty_code, group_name in DUTY_GROUPS.items():
        Duty.objects.get_or_create(code=duty_code, defaults={"group": Group.objects.get(name=group_name)})
