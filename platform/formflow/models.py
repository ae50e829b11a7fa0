"""Imports every model so that metadata (create_all, Alembic) sees all tables."""

from formflow.accounts.models import ApiToken, Department, Membership, User, Workspace
from formflow.apps.models import App
from formflow.db import Base
from formflow.forms.models import Form, FormVersion
from formflow.permissions.models import (
    AuditEntry,
    FieldRule,
    MemberRole,
    PermissionRule,
    Pool,
    PoolClaim,
    PoolEntry,
    Role,
)
from formflow.records.models import Attachment, AutoNumberCounter, Comment, Record, Revision
from formflow.workflows.models import Workflow, WorkflowVersion

__all__ = ["ApiToken", "App", "Attachment", "AuditEntry", "AutoNumberCounter", "Base", "Comment",
           "Department", "FieldRule", "Form", "FormVersion", "MemberRole", "Membership", "PermissionRule",
           "Pool", "PoolClaim", "PoolEntry", "Record", "Revision", "Role", "User", "Workflow",
           "WorkflowVersion", "Workspace"]
