"""Where a block's text may be cut, and what the text after a cut must show first."""

from __future__ import annotations

import pytest

from wyoming_polytts.text import TextSettings
from wyoming_polytts.text.locale import Locale
from wyoming_polytts.text.segment import Pause, Segment
from wyoming_polytts.text.sentences import SentenceSplitter

SPLITTER = SentenceSplitter(TextSettings(), Locale.of("en-US"))
OPENED = TextSettings().first_clause_min_words
"""Words spoken once the reply's opening clause has gone: later clauses wait for their sentence."""


def first_sentence(text: str, language: str = "en-US") -> str:
    """The text up to the first sentence end the splitter accepts."""
    splitter = SentenceSplitter(TextSettings(first_clause=False), Locale.of(language))
    cut = splitter.next_cut(text, complete=True, spoken_words=0)
    return cut.text if cut else text


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("It is 3.5 degrees. Next one.", "It is 3.5 degrees."),
        ("Dr. Smith said so. Next one.", "Dr. Smith said so."),
        ("Eat fruit, e.g. apples. Next one.", "Eat fruit, e.g. apples."),
        ("The U.S. office opens. Next one.", "The U.S. office opens."),
        ("We moved to the U.S. Then we left.", "We moved to the U.S."),
        ("Meet at 3 p.m. in the hall. Next one.", "Meet at 3 p.m. in the hall."),
        ("Buy eggs, milk, etc. Then go.", "Buy eggs, milk, etc."),
        ("Room No. 5 is free. Next one.", "Room No. 5 is free."),
        ("It is due Nov. 23 this year. Next one.", "It is due Nov. 23 this year."),
        ("See example.com/a.b for more. Next one.", "See example.com/a.b for more."),
        ("Really?! Yes. Next one.", "Really?!"),
        ('"Done." She left.', '"Done."'),
        ("**Done.** Next one.", "**Done.**"),
    ],
)
def test_sentences_never_end_inside_numbers_abbreviations_or_addresses(
    text: str, sentence: str
) -> None:
    assert first_sentence(text) == sentence


def test_titles_of_the_voices_language_end_no_sentence() -> None:
    assert first_sentence("La Sra. López llegó. Luego.", "es") == "La Sra. López llegó."
    assert first_sentence("Vu par M. Dupont hier. Puis.", "fr") == "Vu par M. Dupont hier."


def test_the_first_clause_needs_enough_words() -> None:
    assert SPLITTER.next_cut("Sure, I can do that, okay", False, spoken_words=0) == Segment(
        "Sure, I can do that,", Pause.CLAUSE
    )
    assert SPLITTER.next_cut("Sure, I can do that, okay", False, spoken_words=OPENED) is None


def test_after_an_interjection_the_next_clause_may_go_alone() -> None:
    """ "Sure!" went first: the clause after it is needed while it plays, not once its whole
    sentence has arrived."""
    text = "I've turned on the lights, and the heating is"
    assert SPLITTER.next_cut(text, False, spoken_words=1) == Segment(
        "I've turned on the lights,", Pause.CLAUSE
    )
    assert SPLITTER.next_cut(text, False, spoken_words=OPENED) is None


def test_a_cut_waits_for_the_next_word() -> None:
    assert SPLITTER.next_cut("Call Dr.", complete=False, spoken_words=0) is None
    assert SPLITTER.next_cut("All done. ", complete=False, spoken_words=0) is None
    assert SPLITTER.next_cut("All done. Bye", complete=False, spoken_words=0) == Segment(
        "All done.", Pause.SENTENCE
    )


def test_no_clause_cut_between_numbers() -> None:
    assert SPLITTER.next_cut("On November 23, 2026 we meet", False, spoken_words=0) is None
    assert SPLITTER.next_cut("Pick 1, 2, 3 or 4 of them", False, spoken_words=0) is None


def test_a_soft_line_break_is_a_clause_boundary() -> None:
    assert SPLITTER.next_cut("Here are the lights\nin the kitchen", False, 0) == Segment(
        "Here are the lights\n", Pause.CLAUSE
    )


def test_without_any_boundary_a_long_text_is_cut_at_a_space() -> None:
    splitter = SentenceSplitter(TextSettings(max_segment_chars=40), Locale.of("en-US"))
    text = "word " * 20
    cut = splitter.next_cut(text, complete=False, spoken_words=OPENED)
    assert cut is not None and len(cut.text) <= 40 and text[len(cut.text)] == " "
