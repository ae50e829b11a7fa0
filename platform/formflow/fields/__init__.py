"""The field-type registry: one entry per type (DESIGN.md, "Field type").

The built-in types register themselves like an extension would: importing this package imports each
family module, whose classes are decorated with ``@registry.register``.
"""

from formflow.registry import Registry

registry: Registry = Registry("field type")

from formflow.fields import (  # noqa: E402  (the families register into the registry above)
    choice,
    computed,
    contact,
    files,
    number,
    reference,
    region,
    structure,
    temporal,
    text,
)

__all__ = [
    "registry",
    "text",
    "number",
    "choice",
    "temporal",
    "contact",
    "reference",
    "structure",
    "files",
    "region",
    "computed",
]
