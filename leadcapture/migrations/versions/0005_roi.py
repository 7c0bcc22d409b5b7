"""roi: costs, outcomes, rates, touches and credits

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa
import leadcapture.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("rate", sa.Numeric(precision=20, scale=10), nullable=False),
        sa.Column("created_at", leadcapture.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rates")),
        sa.UniqueConstraint("base", "currency", "valid_from", name=op.f("uq_exchange_rates_base_currency_valid_from")),
    )
    op.create_table(
        "org_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reporting_currency", sa.String(length=3), nullable=False),
        sa.Column("attribution", sa.JSON(), nullable=False),
        sa.Column("updated_at", leadcapture.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_settings")),
    )
    op.create_table(
        "event_costs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("days", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column("daily_rate_minor", sa.BigInteger(), nullable=True),
        sa.Column("supplier", sa.String(length=200), nullable=True),
        sa.Column("spent_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", leadcapture.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_user_id"], ["users.id"],
                                name=op.f("fk_event_costs_created_by_user_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_event_costs_event_id_events"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_costs")),
    )
    with op.batch_alter_table("event_costs", schema=None) as batch_op:
        batch_op.create_index("ix_event_costs_event_kind", ["event_id", "kind"], unique=False)
    op.create_table(
        "deals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=40), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=True),
        sa.Column("crm_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("stage", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=4), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("modified_at", leadcapture.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("contact_ids", sa.JSON(), nullable=False),
        sa.Column("stored_at", leadcapture.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["connector_id"], ["crm_connectors.id"],
                                name=op.f("fk_deals_connector_id_crm_connectors"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deals")),
        sa.UniqueConstraint("origin", "crm_id", name=op.f("uq_deals_origin_crm_id")),
    )
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deals_close_date"), ["close_date"], unique=False)
    op.create_table(
        "attribution_credits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=20), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Numeric(precision=12, scale=10), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rate", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("rate_date", sa.Date(), nullable=True),
        sa.Column("config_hash", sa.String(length=16), nullable=False),
        sa.Column("computed_at", leadcapture.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], name=op.f("fk_attribution_credits_deal_id_deals"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_attribution_credits_event_id_events"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attribution_credits")),
        sa.UniqueConstraint("deal_id", "event_id", "model", "window_days",
                            name=op.f("uq_attribution_credits_deal_id_event_id_model_window_days")),
    )
    with op.batch_alter_table("attribution_credits", schema=None) as batch_op:
        batch_op.create_index("ix_attribution_credits_event_model", ["event_id", "model", "window_days"],
                              unique=False)
    op.create_table(
        "deal_leads",
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], name=op.f("fk_deal_leads_deal_id_deals"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_deal_leads_lead_id_leads"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("deal_id", "lead_id", name=op.f("pk_deal_leads")),
    )
    with op.batch_alter_table("deal_leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deal_leads_lead_id"), ["lead_id"], unique=False)
    with op.batch_alter_table("crm_connectors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcomes_pulled_at", leadcapture.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("outcomes_due_at", leadcapture.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index("ix_leads_email", ["email"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_email")
    with op.batch_alter_table("crm_connectors", schema=None) as batch_op:
        batch_op.drop_column("outcomes_due_at")
        batch_op.drop_column("outcomes_pulled_at")
    with op.batch_alter_table("deal_leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deal_leads_lead_id"))
    op.drop_table("deal_leads")
    with op.batch_alter_table("attribution_credits", schema=None) as batch_op:
        batch_op.drop_index("ix_attribution_credits_event_model")
    op.drop_table("attribution_credits")
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deals_close_date"))
    op.drop_table("deals")
    with op.batch_alter_table("event_costs", schema=None) as batch_op:
        batch_op.drop_index("ix_event_costs_event_kind")
    op.drop_table("event_costs")
    op.drop_table("org_settings")
    op.drop_table("exchange_rates")
