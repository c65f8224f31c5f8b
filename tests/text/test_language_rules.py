"""Numbers and symbols in the words of voices that speak no English."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from wyoming_polytts.text.language_rules import LanguageRules
from wyoming_polytts.text.languages import WORDS

FORMS = yaml.safe_load((Path(__file__).parent / "written_forms.yaml").read_text(encoding="utf-8"))


def spoken(text: str, language: str) -> str:
    return LanguageRules(WORDS[language])(text)


@pytest.mark.parametrize(
    ("language", "text", "said"),
    [
        pytest.param(language, *case, id=language)
        for language, cases in FORMS["other_languages"].items()
        for case in cases
    ],
)
def test_language_rules(language: str, text: str, said: str) -> None:
    assert spoken(text, language) == said


def test_no_english_rules_for_other_voices() -> None:
    # English abbreviations, units and am/pm mean nothing to a Spanish voice: left alone
    assert spoken("Mr. Smith vs. 5 kg at 3 p.m.", "es") == "Mr. Smith vs. cinco kg at tres p.m."
