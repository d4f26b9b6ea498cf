"""A once-only claim may be keyed by household and event; proof confirmations

Hardship relief 特困救助 is once per household *and hardship event* (issue 22): the catalogue
says per program what "once" counts (``program.once_per``: ``household`` or
``household_event``, with ``min_interval_months`` between a household's events), and a claim
key of such a program carries the event (``id:<resident ID>|<event kind>|<event date>``), so
``household_claim.claim_key`` grows from 40 to 80 characters. The caseworker's confirmation
that a household is a family-planning family 计划生育家庭 is stored on the case
(``application.family_planning_confirmed``); ``program.confirms_family_planning`` says which
programs require it. Existing rows: programs count once per household and require no
confirmation until the catalogue is loaded again (``relief db upgrade``), cases are unconfirmed
(they were submitted before the confirmation existed), and existing claim keys stay as they are
(the check of a household's earlier cases reads the cases, not the keys' shape).

Revision ID: e3c3d4e5f6a7
Revises: e2b2c3d4e5f6
Create Date: 2026-12-06 21:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e3c3d4e5f6a7"
down_revision = "e2b2c3d4e5f6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("program") as batch:
        batch.add_column(
            sa.Column("once_per", sa.String(length=24), nullable=False, server_default="household")
        )
        batch.add_column(sa.Column("min_interval_months", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column(
                "confirms_family_planning", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("application") as batch:
        batch.add_column(
            sa.Column(
                "family_planning_confirmed", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("household_claim") as batch:
        batch.alter_column(
            "claim_key",
            existing_type=sa.String(length=40),
            type_=sa.String(length=80),
            existing_nullable=False,
        )


def downgrade() -> None:
    # Keys with an event do not fit 40 characters: the claims of such programs go back to one
    # key per identity (the household's first claim on the program keeps it).
    claim = sa.table(
        "household_claim",
        sa.column("program_code", sa.String),
        sa.column("claim_key", sa.String),
        sa.column("application_id", sa.Integer),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(claim.c.program_code, claim.c.claim_key, claim.c.application_id)
        .where(claim.c.claim_key.contains("|"))
        .order_by(claim.c.application_id)
    ).all()
    for program_code, key, application_id in rows:
        connection.execute(
            claim.delete().where(claim.c.program_code == program_code, claim.c.claim_key == key)
        )
        plain = key.split("|", 1)[0]
        exists = connection.execute(
            sa.select(claim.c.application_id).where(
                claim.c.program_code == program_code, claim.c.claim_key == plain
            )
        ).first()
        if exists is None:
            connection.execute(
                claim.insert().values(
                    program_code=program_code, claim_key=plain, application_id=application_id
                )
            )
    with op.batch_alter_table("household_claim") as batch:
        batch.alter_column(
            "claim_key",
            existing_type=sa.String(length=80),
            type_=sa.String(length=40),
            existing_nullable=False,
        )
    with op.batch_alter_table("application") as batch:
        batch.drop_column("family_planning_confirmed")
    with op.batch_alter_table("program") as batch:
        batch.drop_column("confirms_family_planning")
        batch.drop_column("min_interval_months")
        batch.drop_column("once_per")
