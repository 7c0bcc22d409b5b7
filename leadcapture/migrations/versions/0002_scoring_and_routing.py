"""scoring and routing

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa
import leadcapture.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('routing_counters',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.String(length=60), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('assigned', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_routing_counters_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_routing_counters_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'rule_id', 'user_id', name=op.f('pk_routing_counters'))
    )
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', leadcapture.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=36), nullable=True),
    sa.Column('claimed_until', leadcapture.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', leadcapture.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', leadcapture.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_notifications_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_notifications_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_lead_id'), ['lead_id'], unique=False)

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('postal_code', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('region', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('company_size', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('score', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('grade', sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column('score_explanation', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('routing_rule', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('routing_reason', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('assigned_at', leadcapture.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sla_due_at', leadcapture.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('status_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('status_changed_at', leadcapture.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('contacted_at', leadcapture.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('capacity', sa.Integer(), server_default=sa.text('1'), nullable=False))
        batch_op.add_column(sa.Column('away', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('locale', sa.String(length=5), server_default='fr', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locale')
        batch_op.drop_column('away')
        batch_op.drop_column('capacity')

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_column('contacted_at')
        batch_op.drop_column('status_changed_at')
        batch_op.drop_column('status_reason')
        batch_op.drop_column('sla_due_at')
        batch_op.drop_column('assigned_at')
        batch_op.drop_column('routing_reason')
        batch_op.drop_column('routing_rule')
        batch_op.drop_column('score_explanation')
        batch_op.drop_column('grade')
        batch_op.drop_column('score')
        batch_op.drop_column('company_size')
        batch_op.drop_column('region')
        batch_op.drop_column('postal_code')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_lead_id'))
        batch_op.drop_index(batch_op.f('ix_notifications_event_id'))
        batch_op.drop_index('ix_notifications_due')

    op.drop_table('notifications')
    op.drop_table('routing_counters')
