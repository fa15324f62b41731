"""On PostgreSQL the database itself refuses to change the audit log and case timelines.

Only ``manage.py prune_audit`` may delete audit entries, and only after it sets
``governance.audit_prune`` for its own transaction. (SQLite, for development, relies on the
application's guards alone.)
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION governance_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'governance_auditentry'
       AND current_setting('governance.audit_prune', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER governance_auditentry_append_only BEFORE UPDATE OR DELETE ON governance_auditentry
    FOR EACH ROW EXECUTE FUNCTION governance_append_only();
CREATE TRIGGER events_timelineentry_append_only BEFORE UPDATE OR DELETE ON events_timelineentry
    FOR EACH ROW EXECUTE FUNCTION governance_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS governance_auditentry_append_only ON governance_auditentry;
DROP TRIGGER IF EXISTS events_timelineentry_append_only ON events_timelineentry;
DROP FUNCTION IF EXISTS governance_append_only();
"""


def run(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, None)  # no parameters: the % in the SQL is literal

    return apply


class Migration(migrations.Migration):
    dependencies = [("governance", "0004_audit_log"), ("events", "0008_encrypt_reporter_phone")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
