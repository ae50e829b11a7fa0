"""Every setting is documented in the README, with its name as users type it."""

from pathlib import Path

import pytest

from formflow.config import SETTINGS

README = (Path(__file__).parent.parent / "README.md").read_text()


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda setting: setting.name)
def test_setting_is_documented_in_readme(setting) -> None:
    assert f"| `{setting.name}` |" in README


def test_every_setting_has_help() -> None:
    assert all(setting.help for setting in SETTINGS)
