"""The one slug rule (benchmark.core.naming) and every place that names things with it."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmark.core.naming import FOLDER_RE, entry_slug, slug
from benchmark.leaderboard.site.markup import bibtex_key, markdown_to_html
from benchmark.submissions.metadata import folder_name

SLUG = re.compile(r"^(?:[a-z0-9]+(?:-[a-z0-9]+)*)?$")


@pytest.mark.parametrize(
    "text, expected",
    [
        # by hand from the rule: NFKC, lower case, runs of anything but a-z0-9 -> "-", trimmed
        ("Knee Lab", "knee-lab"),
        ("  ACME  AI!", "acme-ai"),
        ("a__b", "a-b"),
        ("Équipe 3", "quipe-3"),  # é is not ASCII: a separator, never kept, never transliterated
        ("équipe", "quipe"),
        ("Straße", "stra-e"),
        ("東京", ""),
        ("ＡＣＭＥ Lab", "acme-lab"),  # full-width letters are ASCII letters after NFKC
        ("ﬁnal²", "final2"),  # ligature and superscript: compatibility forms
        ("\u212a", "k"),  # KELVIN SIGN is K under NFKC
        ("Lab\u202eA", "lab-a"),  # a bidi override is a separator
    ],
)
def test_slug_golden(text, expected):
    assert slug(text) == expected


@given(st.text())
def test_slug_is_ascii_lower_digits_and_single_inner_hyphens(text):
    out = slug(text)
    assert SLUG.match(out), out
    assert slug(out) == out  # idempotent
    assert slug(unicodedata.normalize("NFKC", text)) == out  # NFKC comes first


@given(st.from_regex(FOLDER_RE, fullmatch=True))
def test_entry_slug_keeps_every_valid_folder_name_but_collapses_inner_runs(name):
    team, model = name.split("__")
    assert entry_slug(name) == f"{slug(team)}__{slug(model)}"
    if SLUG.match(team) and SLUG.match(model):
        assert entry_slug(name) == name


def test_places_that_name_things_use_the_rule():
    # submission folders (submission.toml), page files, heading anchors, citation keys
    assert folder_name("ＡＣＭＥ Lab", "Réseau 2") == "acme-lab__r-seau-2"
    assert entry_slug("Lab_A__x.y") == "lab-a__x-y"
    assert entry_slug("__") == "entry"
    assert 'id="acme-lab"' in markdown_to_html("## ＡＣＭＥ Lab")
    assert 'id="section"' in markdown_to_html("## 東京")
    assert bibtex_key("ＡＣＭＥ Lab", "Équipe", 2026) == "acme-lab:quipe:2026"

