"""How the languages of voices that speak no English say what a text writes as symbols."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Language:
    """How one language writes out what the text has as symbols; '{}' is the number."""

    num2words: str | None
    """num2words' code, or None to keep digits."""
    dot: str
    """Said between the parts of a domain name."""
    at: str
    point: str
    """A decimal point; a decimal comma is `comma`."""
    comma: str
    percent: str
    degrees: tuple[str, str]
    """Singular, plural; ' Celsius' or ' Fahrenheit' is added where the text names one."""
    celsius: str = " Celsius"
    fahrenheit: str = " Fahrenheit"
    clock: tuple[str, str] | None = None
    """An hour on the dot, an hour and minutes ('{h}', '{m}'); None leaves times as written."""
    hours: Mapping[int, str] = field(default_factory=dict)
    """Hours whose word differs from the number's (feminine 'una' in Spanish)."""
    cents_joiner: str | None = None
    """Between the whole and the cents of an amount; None leaves money as written."""
    abbreviations: Mapping[str, str] = field(default_factory=dict)
    """Titles and the like, as written (full stop included) and as said."""
    thousands: str = r"(?<=\d)\.(?=\d{3}(?!\d|[.,]\d))"
    """The thousands separator, dropped ("1.000" is a thousand in Spanish)."""
    ordinal: str | None = r"(\d+)\.?([ºª])(?![CF])"
    """Groups: the number, its suffix (feminine: ª, re, ère)."""
    hour_mark: str | None = None
    """A pattern for times written with an hour mark ("19 h 30"), groups h and m."""
    digit_joiner: str = " "
    """Between the words of a decimal; '' where words are not spaced (Japanese)."""


WORDS: Mapping[str, Language] = {
    "es": Language(
        "es",
        "punto",
        "arroba",
        "punto",
        "coma",
        "{} por ciento",
        ("{} grado", "{} grados"),
        clock=("{h}", "{h} y {m}"),
        hours={1: "una", 21: "veintiuna"},
        cents_joiner="con",
        abbreviations={
            "Dr.": "doctor",
            "Dra.": "doctora",
            "Sr.": "señor",
            "Sra.": "señora",
            "Srta.": "señorita",
            "Ud.": "usted",
            "Uds.": "ustedes",
            "p. ej.": "por ejemplo",
        },
    ),
    "fr": Language(
        "fr",
        "point",
        "arobase",
        "point",
        "virgule",
        "{} pour cent",
        ("{} degré", "{} degrés"),
        clock=("{h} heures", "{h} heures {m}"),
        hours={1: "une", 21: "vingt et une"},
        cents_joiner="et",
        abbreviations={
            "M.": "monsieur",
            "MM.": "messieurs",
            "Mme": "madame",
            "Mlle": "mademoiselle",
            "Dr": "docteur",
            "Dr.": "docteur",
            "p. ex.": "par exemple",
        },
        thousands=r"(?<=\d)[\s.](?=\d{3}(?!\d|[.,]\d))",
        ordinal=r"(\d+)(er|re|ère|e|ème)\b",
        hour_mark=r"\b(?P<h>\d{1,2}) ?h ?(?P<m>\d{2})?\b",
    ),
    "it": Language(
        "it",
        "punto",
        "chiocciola",
        "punto",
        "virgola",
        "{} per cento",
        ("{} grado", "{} gradi"),
        clock=("{h}", "{h} e {m}"),
        hours={1: "una"},
        cents_joiner="e",
        abbreviations={
            "Sig.": "signor",
            "Sig.ra": "signora",
            "Dott.": "dottor",
            "Dott.ssa": "dottoressa",
            "Prof.": "professor",
            "Prof.ssa": "professoressa",
        },
    ),
    "pt": Language(
        "pt_BR",
        "ponto",
        "arroba",
        "ponto",
        "vírgula",
        "{} por cento",
        ("{} grau", "{} graus"),
        clock=("{h} horas", "{h} e {m}"),
        hours={1: "uma", 2: "duas", 21: "vinte e uma"},
        cents_joiner="e",
        abbreviations={
            "Sr.": "senhor",
            "Sra.": "senhora",
            "Dr.": "doutor",
            "Dra.": "doutora",
            "p. ex.": "por exemplo",
        },
    ),
    "ja": Language(
        "ja",
        "ドット",
        "アット",
        "点",
        "点",
        "{}パーセント",
        ("{}度", "{}度"),
        celsius="",
        fahrenheit="華氏",
        clock=("{h}時", "{h}時{m}分"),
        thousands=r"(?<=\d),(?=\d{3}(?!\d))",
        ordinal=None,
        digit_joiner="",
    ),
    "zh": Language(
        None,
        "点",
        "艾特",
        "点",
        "点",
        "百分之{}",
        ("{}度", "{}度"),
        celsius="摄氏",
        fahrenheit="华氏",
        clock=("{h}点", "{h}点{m}分"),
        ordinal=None,
    ),
    "hi": Language(
        None,
        "डॉट",
        "एट",
        "दशमलव",
        "दशमलव",
        "{} प्रतिशत",
        ("{} डिग्री", "{} डिग्री"),
        celsius=" सेल्सियस",
        fahrenheit=" फ़ारेनहाइट",
        ordinal=None,
    ),
}
