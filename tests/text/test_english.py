"""English written forms as an English voice says them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from wyoming_polytts.text.english import normalize_english

FORMS = yaml.safe_load((Path(__file__).parent / "written_forms.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("text", "spoken"),
    [pytest.param(*case, id=kind) for kind, cases in FORMS["english"].items() for case in cases],
)
def test_english_rules(text: str, spoken: str) -> None:
    assert normalize_english(text) == spoken


def test_british_dates_put_the_day_first() -> None:
    assert normalize_english("Due 23/11/2026.", british=True) == (
        "Due the twenty-third of November, twenty twenty-six."
    )
    assert normalize_english("On November 5.", british=True) == "On November the fifth."
