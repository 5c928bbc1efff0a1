"""The audit log in Django's admin: to read and search, never to add, change or delete."""

from __future__ import annotations

from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "team", "actor_label", "kind", "target"]
    list_filter = ["kind"]
    search_fields = ["actor_label", "target", "kind"]
    list_select_related = ["team"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # a count of a big log is slow and tells little

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
