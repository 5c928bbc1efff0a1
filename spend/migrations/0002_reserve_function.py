"""PostgreSQL: the budget reservation as a PL/pgSQL function (see spend/budget.py `_take`).

One round trip as before, but the function's statements keep their plans between calls, so a
submit no longer pays for planning the lock-then-update statement every time. It locks the
team's and the member's budget rows in id order (as `_move` does), so reservations and
settlements never deadlock, then adds the amount only where it still fits. SQLite keeps the
plain statement in spend/budget.py. A change to spend_budget's columns must update this too.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION spend_budget_reserve(
    p_team bigint, p_user bigint, p_amount bigint, p_month date
) RETURNS TABLE (
    id bigint, user_id bigint, spent_micros bigint, limit_micros bigint, topup_micros bigint
) LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM spend_budget b
        WHERE b.team_id = p_team AND (b.user_id IS NULL OR b.user_id = p_user)
        ORDER BY b.id FOR UPDATE;
    RETURN QUERY UPDATE spend_budget b SET
        spent_micros = CASE WHEN b.month = p_month THEN b.spent_micros ELSE 0 END + p_amount,
        topup_micros = CASE WHEN b.month = p_month THEN b.topup_micros ELSE 0 END,
        month = p_month
    WHERE b.team_id = p_team AND (b.user_id IS NULL OR b.user_id = p_user)
        AND (b.limit_micros IS NULL
             OR CASE WHEN b.month = p_month THEN b.spent_micros ELSE 0 END + p_amount
                <= b.limit_micros + CASE WHEN b.month = p_month THEN b.topup_micros ELSE 0 END)
    RETURNING b.id, b.user_id, b.spent_micros, b.limit_micros, b.topup_micros;
END
$$
"""
BACKWARD = "DROP FUNCTION IF EXISTS spend_budget_reserve(bigint, bigint, bigint, date)"


def _run(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("spend", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
