"""Admin views: generations with their MJ action checks, so admins can count actions Zcheap
visibly did not apply (issue 10 point 3) and see what tasks cost."""

from __future__ import annotations

from django.contrib import admin

from .models import Generation


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = ["id", "team", "kind", "action", "state", "action_check", "amount_usd"]
    list_filter = ["action_check", "kind", "action", "state"]
    search_fields = ["prompt", "remote_id"]
    readonly_fields = [field.name for field in Generation._meta.fields]
    show_full_result_count = True

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
