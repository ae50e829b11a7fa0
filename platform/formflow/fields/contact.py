"""Ways to reach someone: email, phone, url. Values are normalized, so equal addresses compare equal."""

from __future__ import annotations

import re
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit, urlunsplit

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from formflow.errors import FieldError
from formflow.fields import registry
from formflow.fields.base import CoercionError, Examples, Field, FieldContext, definition_error
from formflow.fields.text import TextField, text_input

#: a scheme ("mailto:"), but not a host with a port ("example.com:8080/")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):(?!\d+(?:/|$))")


@registry.register
class EmailField(TextField):
    """An email address, checked by email-validator (syntax only, no DNS) and stored lowercased.

    The whole address is lowercased (not only the domain) so that duplicates in a CRM match.
    """

    name = "email"
    widget = "email"
    default_max_length = 254
    limit_length = 254
    examples = Examples(
        config={},
        valid=("Ada@Example.com", " bob@example.org ", "张三@例子.中国", "x.y+tag@sub.example.co"),
        invalid=("not an email", "a@b", "@example.com", 42, ["a@example.com"], "a@@example.com"),
    )

    def config_schema(self) -> dict[str, Any]:
        return {}

    def check_definition(self, field: Field, fields: dict[str, Field]) -> list[FieldError]:
        return []

    def value_schema(self, field: Field) -> dict[str, Any]:
        return {"type": "string", "format": "email", "maxLength": self.limit_length}

    def coerce(self, field: Field, raw: Any, context: FieldContext) -> str | None:
        text = text_input(raw, context)
        if text is None:
            return None
        if not isinstance(raw, str):
            raise CoercionError("invalid_email", context.translate("Enter a valid email address"))
        try:
            checked = validate_email(text, check_deliverability=False)
        except EmailNotValidError:
            raise CoercionError("invalid_email", context.translate("Enter a valid email address")) from None
        normalized = checked.normalized.lower()
        if len(normalized) > self.limit_length:
            raise CoercionError("invalid_email", context.translate("Enter a valid email address"))
        return normalized

    def client_hints(self, field: Field) -> dict[str, Any]:
        return {
            "input_type": "email",
            "inputmode": "email",
            "autocomplete": "email",
            "maxlength": self.limit_length,
        }


@registry.register
class PhoneField(TextField):
    """A phone number, stored in E.164 (``+8613812345678``); numbers without a country code are read
    in the field's ``regions`` (default CN, so ``13812345678`` is a mainland mobile)."""

    name = "phone"
    widget = "phone"
    default_max_length = 16
    #: regions a number without country code is read in, when the definition sets none
    default_regions: ClassVar[tuple[str, ...]] = ("CN",)
    examples = Examples(
        config={},
        valid=(
            "13812345678",
            "+14155552671",
            "+86 138-1234-5678",
            "008613912345678",
            "010-62345678",
            13512345678,
        ),
        invalid=("12345", "138123456789", "phone", "+999123", True, ["13812345678"]),
    )

    def config_schema(self) -> dict[str, Any]:
        return {
            "regions": {
                "type": "array",
                "items": {"type": "string", "pattern": "^[A-Z]{2}$"},
                "minItems": 1,
                "uniqueItems": True,
            },
            "mobile_only": {"type": "boolean"},
        }

    def regions(self, field: Field) -> tuple[str, ...]:
        """Regions a number without a country code is tried in, in order."""
        return tuple(field.get("regions") or self.default_regions)

    def check_definition(self, field: Field, fields: dict[str, Field]) -> list[FieldError]:
        unknown = [region for region in self.regions(field) if region not in phonenumbers.SUPPORTED_REGIONS]
        if unknown:
            return [
                definition_error(
                    field, "unknown_region", "Unknown phone regions: %(regions)s", regions=", ".join(unknown)
                )
            ]
        return []

    def value_schema(self, field: Field) -> dict[str, Any]:
        return {"type": "string", "pattern": r"^\+[1-9][0-9]{6,14}$"}

    def parse(self, field: Field, text: str) -> phonenumbers.PhoneNumber | None:
        """The valid number ``text`` is in one of the field's regions, or None."""
        for region in self.regions(field):
            try:
                number = phonenumbers.parse(text, region)
            except NumberParseException:
                continue
            if not phonenumbers.is_valid_number(number):
                continue
            if field.get("mobile_only") and phonenumbers.number_type(number) not in (
                PhoneNumberType.MOBILE,
                PhoneNumberType.FIXED_LINE_OR_MOBILE,
            ):
                continue
            return number
        return None

    def coerce(self, field: Field, raw: Any, context: FieldContext) -> str | None:
        text = text_input(raw, context)
        if text is None:
            return None
        number = self.parse(field, text) if len(text) <= 40 else None
        if number is None:
            raise CoercionError("invalid_phone", context.translate("Phone number is not valid"))
        return phonenumbers.format_number(number, PhoneNumberFormat.E164)

    def display(self, field: Field, value: Any, context: FieldContext) -> str:
        """National format for the field's own regions ("138 1234 5678"), international otherwise."""
        if value is None:
            return ""
        try:
            number = phonenumbers.parse(value, None)
        except NumberParseException:
            return str(value)
        region = phonenumbers.region_code_for_number(number)
        style = (
            PhoneNumberFormat.NATIONAL if region in self.regions(field) else PhoneNumberFormat.INTERNATIONAL
        )
        return phonenumbers.format_number(number, style)

    def search_text(self, field: Field, value: Any) -> str:
        """The E.164 form and the national digits, so searching "138123" finds "+8613812345678"."""
        if value is None:
            return ""
        try:
            number = phonenumbers.parse(value, None)
        except NumberParseException:
            return str(value)
        return f"{value} {phonenumbers.national_significant_number(number)}"

    def client_hints(self, field: Field) -> dict[str, Any]:
        return {
            "input_type": "tel",
            "inputmode": "tel",
            "autocomplete": "tel",
            "regions": list(self.regions(field)),
        }


@registry.register
class UrlField(TextField):
    """A web address (http or https); "example.com" gets "https://" in front."""

    name = "url"
    widget = "url"
    default_max_length = 2000
    limit_length = 2000
    examples = Examples(
        config={},
        valid=("https://example.com/a?b=1", "example.com", "http://例子.中国/路径", "HTTPS://Acme.io"),
        invalid=("ftp://example.com", "not a url", "https://", 12, ["https://a.b"], "javascript:alert(1)"),
    )

    def config_schema(self) -> dict[str, Any]:
        return {}

    def check_definition(self, field: Field, fields: dict[str, Field]) -> list[FieldError]:
        return []

    def value_schema(self, field: Field) -> dict[str, Any]:
        return {"type": "string", "format": "uri", "pattern": "^https?://", "maxLength": self.limit_length}

    def coerce(self, field: Field, raw: Any, context: FieldContext) -> str | None:
        text = text_input(raw, context)
        if text is None:
            return None
        invalid = CoercionError(
            "invalid_url", context.translate("Enter a web address like https://example.com")
        )
        if not isinstance(raw, str) or any(char.isspace() for char in text):
            raise invalid
        scheme = _SCHEME.match(text)
        if scheme is None:
            text = "https://" + text
        elif scheme.group(1).lower() not in ("http", "https") or not text[scheme.end() :].startswith("//"):
            raise invalid  # "javascript:", "mailto:", "ftp://"...
        try:
            parts = urlsplit(text)
            host = (parts.hostname or "").encode("idna").decode("ascii")
            port = parts.port
        except (ValueError, UnicodeError):
            raise invalid from None
        if parts.username is not None or ("." not in host.strip(".") and host != "localhost"):
            raise invalid  # credentials in a link are a phishing trick
        netloc = host + (f":{port}" if port else "")
        url = urlunsplit(
            (
                parts.scheme.lower(),
                netloc,
                quote(parts.path, safe="/%:@!$&'()*+,;=-._~"),
                quote(parts.query, safe="=&%:@!$'()*+,;/?-._~"),
                quote(parts.fragment, safe="=&%:@!$'()*+,;/?-._~"),
            )
        )
        if len(url) > self.limit_length:
            raise CoercionError(
                "too_long", context.translate("Enter at most %(count)s characters", count=self.limit_length)
            )
        return url

    def client_hints(self, field: Field) -> dict[str, Any]:
        return {"input_type": "url", "inputmode": "url", "maxlength": self.limit_length}
