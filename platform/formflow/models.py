"""Imports every model so that metadata (create_all, Alembic) sees all tables."""

from formflow.accounts.models import ApiToken, Department, Membership, User, Workspace
from formflow.apps.models import App
from formflow.db import Base
from formflow.forms.models import Form, FormVersion
from formflow.records.models import Attachment, AutoNumberCounter, Comment, Record, Revision
from formflow.workflows.models import Workflow, WorkflowVersion

__all__ = ["ApiToken", "App", "Attachment", "AutoNumberCounter", "Base", "Comment", "Department", "Form",
           "FormVersion", "Membership", "Record", "Revision", "User", "Workflow", "WorkflowVersion",
           "Workspace"]
