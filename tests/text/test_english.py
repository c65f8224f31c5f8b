"""English written forms as an English voice says them."""

from __future__ import annotations

import pytest

from wyoming_polytts.text.english import normalize_english


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        # numbers
        ("Turned off 12 devices.", "Turned off twelve devices."),
        ("You walked 8,432 steps.", "You walked eight thousand four hundred and thirty-two steps."),
        ("Pi is 3.14.", "Pi is three point one four."),
        ("It fell by -12.5 points.", "It fell by minus twelve point five points."),
        ("Agent 007.", "Agent zero zero seven."),
        ("He lives at 221B.", "He lives at two hundred and twenty-one B."),
        ("1st, 2nd and 103rd.", "first, second and one hundred and third."),
        ("Room #3 or No. 4.", "Room number three or number four."),
        ("Use 2 * 3 or 4 × 5.", "Use two times three or four times five."),
        (
            "Mix 1/2 cup and 2/3 cup, 24/7.",
            "Mix one half cup and two thirds cup, twenty-four seven.",
        ),
        ("Takes 25-30 minutes.", "Takes twenty-five to thirty minutes."),
        ("Version 1.2.3 or v2.0.", "Version one point two point three or version two point zero."),
        # money
        ("It costs $1.", "It costs one dollar."),
        ("It costs $0.05.", "It costs zero dollars and five cents."),
        ("£3.50 or 12 EUR.", "three pounds and fifty pence or twelve euros."),
        (
            "Up $2.5 million, or $5k.",
            "Up two point five million dollars, or five thousand dollars.",
        ),
        ("¥500 please.", "five hundred yen please."),
        # temperatures, percentages, units
        ("It's -3 °C.", "It's minus three degrees Celsius."),
        ("Set 72°F, then 1 °C.", "Set seventy-two degrees Fahrenheit, then one degree Celsius."),
        ("It is 24° outside.", "It is twenty-four degrees outside."),
        ("Humidity 45%, 10-20 %.", "Humidity forty-five percent, ten to twenty percent."),
        ("Set 1 kg aside.", "Set one kilogram aside."),
        (
            "25 km/h and 3.2 kWh.",
            "twenty-five kilometers per hour and three point two kilowatt hours.",
        ),
        ("16A at 230V and 50Hz.", "sixteen amps at two hundred and thirty volts and fifty hertz."),
        ("Got 2 A grades.", "Got two A grades."),
        # times
        ("At 12:00 sharp.", "At twelve o'clock sharp."),
        ("From 20:00.", "From twenty hundred."),
        ("At 9:05 or 15:45.", "At nine oh five or fifteen forty-five."),
        ("At 3:30 p.m. today.", "At three thirty PM today."),
        ("At 7.30pm or 8 am.", "At seven thirty PM or eight AM."),
        ("Call at 3 p.m. Then eat.", "Call at three PM. Then eat."),
        ("Not a time: 25:99.", "Not a time: twenty-five:ninety-nine."),
        # dates and years
        ("Due 2026-11-23.", "Due November twenty-third, twenty twenty-six."),
        ("Due 11/23/2026.", "Due November twenty-third, twenty twenty-six."),
        (
            "On Nov. 5 or March 17, 2025.",
            "On November fifth or March seventeenth, twenty twenty-five.",
        ),
        ("On the 21st of May.", "On the twenty-first of May."),
        ("In 2024 and since 1999.", "In twenty twenty-four and since nineteen ninety-nine."),
        ("The 1990s and the '80s.", "The nineteen nineties and the eighties."),
        # phone numbers
        ("Call 555-123-4567.", "Call five five five, one two three, four five six seven."),
        (
            "Or +44 020 7946 0958.",
            "Or plus four four, zero two zero, seven nine four six, zero nine five eight.",
        ),
        # abbreviations and symbols
        ("Dr. Smith and Mrs. Jones.", "Doctor Smith and Missus Jones."),
        ("E.g. tea, i.e. hot.", "For example tea, that is hot."),
        ("Eggs, milk, etc. Then go.", "Eggs, milk, et cetera. Then go."),
        ("Lakers vs. Celtics vs Bulls.", "Lakers versus Celtics versus Bulls."),
        ("St. Louis is on Baker St. now.", "Saint Louis is on Baker Street now."),
        ("Rock & roll = fun.", "Rock and roll equals fun."),
    ],
)
def test_english_rules(text: str, spoken: str) -> None:
    assert normalize_english(text) == spoken


def test_british_dates_put_the_day_first() -> None:
    assert normalize_english("Due 23/11/2026.", british=True) == (
        "Due the twenty-third of November, twenty twenty-six."
    )
    assert normalize_english("On November 5.", british=True) == "On November the fifth."
