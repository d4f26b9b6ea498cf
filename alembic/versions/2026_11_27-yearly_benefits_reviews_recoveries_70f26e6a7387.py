"""Yearly benefits (standards, periods, reviews) and recoveries after revocation

Revision ID: 70f26e6a7387
Revises: cb62b3753972
Create Date: 2026-11-27 06:16:32.831374
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '70f26e6a7387'
down_revision = 'cb62b3753972'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('benefit_standard',
    sa.Column('program_code', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['program_code'], ['program.code'], ),
    sa.PrimaryKeyConstraint('program_code', 'year', 'kind')
    )
    op.create_table('review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('flow_version_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('workflow_state', sa.LargeBinary(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], ),
    sa.ForeignKeyConstraint(['flow_version_id'], ['flow_version.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('application_id', 'year')
    )
    op.create_table('recovery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('payout_id', sa.Integer(), nullable=False),
    sa.Column('amount_due_fen', sa.Integer(), nullable=False),
    sa.Column('recovered_fen', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=2000), nullable=False),
    sa.Column('opened_by', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], ),
    sa.ForeignKeyConstraint(['opened_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['payout_id'], ['payout.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('payout_id')
    )
    with op.batch_alter_table('recovery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_application_id'), ['application_id'], unique=False)

    op.create_table('recovery_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recovery_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['recovery_id'], ['recovery.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('recovery_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_payment_recovery_id'), ['recovery_id'], unique=False)

    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('eligible_parents', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('payout', schema=None) as batch_op:
        batch_op.add_column(sa.Column('period', sa.String(length=16), nullable=False, server_default='once'))
        batch_op.add_column(sa.Column('rule', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.drop_constraint('uq_payout_application_id', type_='unique')
        batch_op.create_unique_constraint('uq_payout_application_id_period', ['application_id', 'period'])

    with op.batch_alter_table('program', schema=None) as batch_op:
        batch_op.add_column(sa.Column('yearly', sa.JSON(), nullable=True))

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_task_review_id_review', 'review', ['review_id'], ['id'])




def downgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_constraint('fk_task_review_id_review', type_='foreignkey')
        batch_op.drop_column('review_id')

    with op.batch_alter_table('program', schema=None) as batch_op:
        batch_op.drop_column('yearly')

    with op.batch_alter_table('payout', schema=None) as batch_op:
        batch_op.drop_constraint('uq_payout_application_id_period', type_='unique')
        batch_op.create_unique_constraint('uq_payout_application_id', ['application_id'])
        batch_op.drop_column('rule')
        batch_op.drop_column('period')

    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_column('enrolled_at')
        batch_op.drop_column('eligible_parents')

    with op.batch_alter_table('recovery_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_payment_recovery_id'))

    op.drop_table('recovery_payment')
    with op.batch_alter_table('recovery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_application_id'))

    op.drop_table('recovery')
    op.drop_table('review')
    op.drop_table('benefit_standard')

