"""Field keys from labels: pinyin for Chinese, words for English, unique and valid."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from formflow.fields.keys import key_from_label

KEY = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("客户名称", "ke_hu_ming_cheng"),
        ("Phone number", "phone_number"),
        ("客户Email地址", "ke_hu_email_di_zhi"),
        ("  Deal   size (¥) ", "deal_size"),
        ("Café owner", "cafe_owner"),
        ("2nd phone", "f_2nd_phone"),
        ("绿色", "lv_se"),
        ("!!!", "field"),
        ("", "field"),
    ],
)
def test_key_from_label(label, key):
    assert key_from_label(label, set()) == key


def test_taken_keys_get_a_numbered_suffix():
    assert key_from_label("客户名称", {"ke_hu_ming_cheng"}) == "ke_hu_ming_cheng_2"
    assert key_from_label("客户名称", {"ke_hu_ming_cheng", "ke_hu_ming_cheng_2"}) == "ke_hu_ming_cheng_3"


def test_system_column_names_are_never_given():
    assert key_from_label("State", set()) == "state_2"
    assert key_from_label("ID", set()) == "id_2"


def test_long_labels_are_cut_to_a_valid_key_even_with_a_suffix():
    label = "Very long label " * 10
    first = key_from_label(label, set())
    second = key_from_label(label, {first})
    assert len(first) <= 63 and len(second) <= 63 and second.endswith("_2")


@given(st.text(max_size=80), st.sets(st.text(alphabet="abc_", min_size=1, max_size=5), max_size=5))
def test_keys_are_always_valid_and_free(label, taken):
    key = key_from_label(label, taken)
    assert KEY.match(key)
    assert key not in taken
