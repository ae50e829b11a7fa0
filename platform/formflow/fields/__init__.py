"""The field-type registry: one entry per type (DESIGN.md, "Field type")."""

from formflow.registry import Registry

registry: Registry = Registry("field type")
