"""Owners: every account and item belongs to a user.

Rows made before this revision belong to nobody: anyone could create them, open
an account with any balance and move money out of any account, so no user can
rightly claim them. They are deleted, unless the upgrade is told to give them
all to one user: `alembic -x existing_owner=<user id> upgrade head`.

Accounts lose their free-text `owner` (the downgrade puts the owner's email
there) and may hold at most 99999999999999.99; item names become unique per
owner instead of across all users.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAX_BALANCE_CENTS = 9_999_999_999_999_999


def upgrade() -> None:
    existing_owner = context.get_x_argument(as_dictionary=True).get("existing_owner")
    for table in ("accounts", "items"):
        op.add_column(table, sa.Column("owner_id", sa.Integer(), nullable=True))
        if existing_owner is None:
            op.execute(sa.text(f"DELETE FROM {table}"))
        else:
            assign = sa.text(f"UPDATE {table} SET owner_id = :owner")
            op.execute(assign.bindparams(owner=int(existing_owner)))
    with op.batch_alter_table("accounts") as batch:
        batch.alter_column("owner_id", existing_type=sa.Integer(), nullable=False)
        batch.create_index(batch.f("ix_accounts_owner_id"), ["owner_id"])
        batch.create_foreign_key(
            batch.f("fk_accounts_owner_id_users"), "users", ["owner_id"], ["id"]
        )
        batch.drop_column("owner")
        batch.create_check_constraint(
            batch.f("ck_accounts_balance_at_most_max"), f"balance <= {MAX_BALANCE_CENTS}"
        )
    with op.batch_alter_table("items") as batch:
        batch.alter_column("owner_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_constraint(batch.f("uq_items_name"), type_="unique")
        # Created before the foreign key, so MySQL uses it as the key's index.
        batch.create_unique_constraint(batch.f("uq_items_owner_id"), ["owner_id", "name"])
        batch.create_foreign_key(batch.f("fk_items_owner_id_users"), "users", ["owner_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_constraint(batch.f("fk_items_owner_id_users"), type_="foreignkey")
        batch.drop_constraint(batch.f("uq_items_owner_id"), type_="unique")
        batch.create_unique_constraint(batch.f("uq_items_name"), ["name"])
        batch.drop_column("owner_id")
    op.add_column("accounts", sa.Column("owner", sa.String(200), nullable=True))
    owner_email = "SELECT email FROM users WHERE users.id = accounts.owner_id"
    op.execute(sa.text(f"UPDATE accounts SET owner = ({owner_email})"))
    with op.batch_alter_table("accounts") as batch:
        batch.alter_column("owner", existing_type=sa.String(200), nullable=False)
        batch.drop_constraint(batch.f("ck_accounts_balance_at_most_max"), type_="check")
        batch.drop_constraint(batch.f("fk_accounts_owner_id_users"), type_="foreignkey")
        batch.drop_index(batch.f("ix_accounts_owner_id"))
        batch.drop_column("owner_id")
