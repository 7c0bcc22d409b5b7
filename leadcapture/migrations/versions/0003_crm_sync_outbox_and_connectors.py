"""crm sync outbox and connectors

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa
import leadcapture.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('crm_connectors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('secrets', sa.Text(), nullable=True),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('paused_until', leadcapture.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_success_at', leadcapture.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', leadcapture.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', leadcapture.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_crm_connectors_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_connectors')),
    sa.UniqueConstraint('name', name=op.f('uq_crm_connectors_name'))
    )
    with op.batch_alter_table('crm_connectors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_connectors_event_id'), ['event_id'], unique=False)

    op.create_table('sync_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connector_id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', leadcapture.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('changed_at', leadcapture.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('pushed_at', leadcapture.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('remote_id', sa.String(length=100), nullable=True),
    sa.Column('remote_state', sa.JSON(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('discard_reason', sa.Text(), nullable=True),
    sa.Column('created_at', leadcapture.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connector_id'], ['crm_connectors.id'], name=op.f('fk_sync_outbox_connector_id_crm_connectors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_sync_outbox_lead_id_leads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_outbox')),
    sa.UniqueConstraint('connector_id', 'lead_id', name=op.f('uq_sync_outbox_connector_id_lead_id'))
    )
    with op.batch_alter_table('sync_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_sync_outbox_due', ['connector_id', 'status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sync_outbox_lead_id'), ['lead_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        # Existing users get no CRM ids; the server default fills them in.
        batch_op.add_column(sa.Column('crm_ids', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('crm_ids')

    with op.batch_alter_table('sync_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_outbox_lead_id'))
        batch_op.drop_index('ix_sync_outbox_due')

    op.drop_table('sync_outbox')
    with op.batch_alter_table('crm_connectors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_connectors_event_id'))

    op.drop_table('crm_connectors')
