"""workflows: per-form state machines, their versions, and the version each record runs on

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:00:00

Written by hand. ``records`` gains a nullable column. On SQLite its foreign key is written inline
in the ADD COLUMN (``inline_references``), which SQLite accepts without rebuilding the table, so the
full-text triggers and the per-form expression indexes on ``records`` stay as they are; PostgreSQL
adds the named constraint separately.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import formflow.db

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('workflows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('draft', formflow.db.JSONData, nullable=True),
    sa.Column('draft_updated_at', formflow.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', formflow.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['form_id'], ['forms.id'], name=op.f('fk_workflows_form_id_forms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_workflows_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workflows')),
    sa.UniqueConstraint('form_id', name=op.f('uq_workflows_form_id'))
    )
    with op.batch_alter_table('workflows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workflows_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('workflow_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workflow_id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('definition', formflow.db.JSONData, nullable=False),
    sa.Column('form_version_id', sa.Integer(), nullable=False),
    sa.Column('published_at', formflow.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['form_id'], ['forms.id'], name=op.f('fk_workflow_versions_form_id_forms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['form_version_id'], ['form_versions.id'], name=op.f('fk_workflow_versions_form_version_id_form_versions')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_workflow_versions_published_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workflow_id'], ['workflows.id'], name=op.f('fk_workflow_versions_workflow_id_workflows'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_versions')),
    sa.UniqueConstraint('workflow_id', 'number', name=op.f('uq_workflow_versions_workflow_id'))
    )
    with op.batch_alter_table('workflow_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workflow_versions_workflow_id'), ['workflow_id'], unique=False)

    # workflows and workflow_versions point at each other: this foreign key can only follow both tables
    with op.batch_alter_table('workflows', schema=None) as batch_op:
        batch_op.create_foreign_key(op.f('fk_workflows_current_version_id_workflow_versions'), 'workflow_versions',
                                    ['current_version_id'], ['id'], ondelete='SET NULL')

    op.add_column('records', sa.Column('workflow_version_id', sa.Integer(), sa.ForeignKey(
        'workflow_versions.id', name=op.f('fk_records_workflow_version_id_workflow_versions')), nullable=True),
        inline_references=op.get_context().dialect.name == 'sqlite')


def downgrade() -> None:
    if op.get_context().dialect.name != 'sqlite':
        # SQLite (3.35+) drops the column with its inline reference in ALTER TABLE DROP COLUMN
        op.drop_constraint(op.f('fk_records_workflow_version_id_workflow_versions'), 'records', type_='foreignkey')
    op.drop_column('records', 'workflow_version_id')
    with op.batch_alter_table('workflows', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_workflows_current_version_id_workflow_versions'), type_='foreignkey')
    with op.batch_alter_table('workflow_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workflow_versions_workflow_id'))

    op.drop_table('workflow_versions')
    with op.batch_alter_table('workflows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workflows_workspace_id'))

    op.drop_table('workflows')
