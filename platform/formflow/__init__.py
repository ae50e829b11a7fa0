"""Formflow: an open no-code platform for CRM processes."""

__version__ = "0.1.0"
