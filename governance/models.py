from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.fields import EncryptedTextField


class User(AbstractUser):
    """A member of staff. Residents have no account (DESIGN §1).

    Chinese names are written whole, so ``full_name`` replaces first/last name in the UI.
    Which areas a user works in is the roster (``blocks.Posting``), not a field here.
    """

    full_name = models.CharField(_("full name"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # An initial or reset password must be changed at the next login (等保 2.0).
    must_change_password = models.BooleanField(_("must change password"), default=False)
    # "Log out everywhere": sessions started before this moment are no longer valid.
    sessions_valid_after = models.DateTimeField(null=True, blank=True, editable=False)
    # Second factor (TOTP, an authenticator app); required for administrators in production.
    totp_secret = EncryptedTextField(blank=True, editable=False)
    totp_enabled = models.BooleanField(_("second factor on"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username


class Heartbeat(models.Model):
    """Last time a background process was seen alive (one row each)."""

    WORKER = "worker"
    BEAT = "beat"

    name = models.CharField(max_length=32, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """The outbox: one row per recipient and notice, written in the same transaction as
    the change it tells of, delivered afterwards by idempotent tasks (DESIGN §4).

    ``dedupe_key`` makes "each recipient gets each notice once" a database guarantee: a
    scan or a transition that runs twice writes nothing the second time.
    """

    recipient = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=32)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    link = models.CharField(_("link"), max_length=200, blank=True)
    dedupe_key = models.CharField(max_length=120)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], name="notification_once_per_recipient"
            )
        ]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            # A case that closes settles its unread notices (found by the case's link).
            models.Index(
                fields=["link"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_link_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} · {self.title}"


class WebhookTarget(models.Model):
    """A WeCom / 政务微信 group robot of a street's desk or of a department: breaches and
    whistles are posted to the group as well as to each person."""

    name = models.CharField(_("name"), max_length=60)
    url = models.URLField(_("webhook URL"), max_length=400)
    area_code = models.CharField(
        _("street code"), max_length=21, blank=True, help_text=_("For a street's desk")
    )
    department = models.ForeignKey(
        "blocks.Department",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhooks",
        verbose_name=_("department"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("group robot webhook")
        verbose_name_plural = _("group robot webhooks")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(area_code="") | models.Q(department__isnull=False),
                name="webhook_target_has_owner",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    """One notice to send outside the application (e-mail, a group robot), written with the
    notice and sent afterwards by the relay; the unique key makes a second write a no-op."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        WECOM = "wecom", _("WeCom group robot")

    channel = models.CharField(max_length=8, choices=Channel.choices)
    target = models.CharField(max_length=400)
    dedupe_key = models.CharField(max_length=120)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    # The relay leases a row before sending, so two relays never send the same row at once.
    leased_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "target", "dedupe_key"], name="delivery_once_per_target"
            )
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(delivered_at__isnull=True),
                name="delivery_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.target}: {self.title}"


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("the audit log is append-only")

    def delete(self):
        raise TypeError("the audit log is append-only; use manage.py prune_audit")


class AuditEntry(models.Model):
    """Who did what, when, from where, with what result (DESIGN §6, 等保 2.0). Append-only:
    the application never updates or deletes a row, and on PostgreSQL a trigger refuses it
    at the database too (only ``prune_audit`` may delete entries older than the retention)."""

    class Action(models.TextChoices):
        LOGIN = "login", _("login")
        LOGIN_FAILED = "login_failed", _("failed login")
        LOGOUT = "logout", _("logout")
        PERMISSION_CHANGE = "permission_change", _("permission change")
        ROSTER_CHANGE = "roster_change", _("roster change")
        ADMIN_CHANGE = "admin_change", _("administration change")
        REVEAL = "reveal", _("personal data shown")
        EXPORT = "export", _("export")
        SUPERVISE = "supervise", _("supervision (督办)")
        TASK_ADMISSION = "task_admission", _("task admission decided (准入审批)")

    at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("who"),
    )  # fmt: skip
    username = models.CharField(_("username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("object type"), max_length=40, blank=True)
    object_id = models.CharField(_("object"), max_length=64, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    success = models.BooleanField(_("succeeded"), default=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("the audit log is append-only")


class ApiToken(models.Model):
    """A token an app signs in with (``Authorization: Token …``). Only its hash is stored;
    it expires, and it can be revoked (DESIGN §7)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=80, blank=True)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} · {self.name or self.created_at:%Y-%m-%d}"
