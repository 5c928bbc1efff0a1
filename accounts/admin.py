from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import models

import audit

from .models import Invitation, Membership, Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "is_staff", "is_active"]
    search_fields = ["email", "display_name"]
    fieldsets = (
        (None, {"fields": ("email", "password", "display_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "base_url", "created_at"]
    search_fields = ["name"]
    exclude = ["api_key_encrypted"]
    inlines = [MembershipInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    # Changes made here are audited like those on the team page (the admin wraps each save
    # in one transaction with its inlines).
    def save_model(self, request, obj, form, change):
        old = Team.objects.filter(pk=obj.pk).first() if change else None
        super().save_model(request, obj, form, change)
        if old is None:
            audit.record(obj, request.user, "team.created", obj.name, after={"name": obj.name})
            return
        if old.name != obj.name:
            audit.record(
                obj,
                request.user,
                "team.renamed",
                obj.name,
                before={"name": old.name},
                after={"name": obj.name},
            )
        obj.record_connection_change(request.user, obj.api_key, old.base_url)

    def save_formset(self, request, form, formset, change):
        team = form.instance
        events = []
        for row in formset.forms:
            membership = row.instance
            if not row.has_changed() and not (
                formset.can_delete and formset._should_delete_form(row)
            ):
                continue
            if formset.can_delete and formset._should_delete_form(row):
                if membership.pk:
                    events.append(
                        ("member.removed", membership.user.email, {"role": membership.role}, None)
                    )
            elif membership.pk is None:
                user = row.cleaned_data.get("user")
                if user is not None:
                    role = row.cleaned_data.get("role")
                    events.append(("member.added", user.email, None, {"role": role}))
            elif "role" in row.changed_data:
                before = row.initial.get("role")
                events.append(
                    (
                        "role.changed",
                        membership.user.email,
                        {"role": before},
                        {"role": membership.role},
                    )
                )
        super().save_formset(request, form, formset, change)
        for kind, target, before, after in events:
            audit.record(team, request.user, kind, target, before=before, after=after)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["team", "role", "email", "expires_at", "accepted_at", "revoked_at"]
    exclude = ["token"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        kind = "invitation.changed" if change else "invitation.created"
        fields = [
            f
            for f in form.changed_data
            if f in {"team", "role", "email", "expires_at", "revoked_at"}
        ]
        if fields:
            audit.record(
                obj.team,
                request.user,
                kind,
                obj.audit_target,
                before={f: str(form.initial.get(f, "")) for f in fields} if change else None,
                after={f: str(getattr(obj, f)) for f in fields},
            )
