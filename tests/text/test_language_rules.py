"""Numbers and symbols in the words of voices that speak no English."""

from __future__ import annotations

import pytest

from wyoming_polytts.text.language_rules import LanguageRules
from wyoming_polytts.text.languages import WORDS


def spoken(text: str, language: str) -> str:
    return LanguageRules(WORDS[language])(text)


@pytest.mark.parametrize(
    ("language", "text", "said"),
    [
        (
            "es",
            "Hace 21,5 °C y -2 °C.",
            "Hace veintiuno coma cinco grados Celsius y menos dos grados Celsius.",
        ),
        ("es", "Son las 7:30, la 1:00.", "Son las siete y treinta, la una."),
        (
            "es",
            "Cuesta 3,50 €, $4 o 1.000 €.",
            "Cuesta tres euros con cincuenta céntimos, cuatro dólares o mil euros.",
        ),
        ("es", "Al 60 %, el 1.º y la 2.ª.", "Al sesenta por ciento, el primero y la segunda."),
        ("es", "El Dr. García y la Sra. López.", "El doctor García y la señora López."),
        ("es", "Pi vale 3.14.", "Pi vale tres punto catorce."),
        ("fr", "Il est 7 h 30, ou 19h.", "Il est sept heures trente, ou dix-neuf heures."),
        (
            "fr",
            "1 000 personnes, 21,5 °C.",
            "mille personnes, vingt et un virgule cinq degrés Celsius.",
        ),
        ("fr", "Le 1er mai, la 2e fois.", "Le premier mai, la deuxième fois."),
        (
            "fr",
            "Ça coûte 3,50 €, M. Dupont.",
            "Ça coûte trois euros et cinquante centimes, monsieur Dupont.",
        ),
        (
            "it",
            "Sono le 7:30, costa 12,99 €.",
            "Sono le sette e trenta, costa dodici euro e novantanove centesimi.",
        ),
        ("it", "Al 45%, il Dott. Rossi.", "Al quarantacinque per cento, il dottor Rossi."),
        (
            "pt",
            "São 14:00, custa R$ 3,50.",
            "São catorze horas, custa três reais e cinquenta centavos.",
        ),
        ("pt", "A 2ª vez, 25 °C.", "A segunda vez, vinte e cinco graus Celsius."),
        ("ja", "今は7:30です。21.5°Cで、1,000円。", "今は七時三十分です。二十一点五度で、千円。"),
        ("ja", "湿度は55%です。", "湿度は五十五パーセントです。"),
        # Chinese and Hindi keep their digits: the phonemizer reads them in its language
        (
            "zh",
            "现在是7:30，温度21.5°C，湿度45%。",
            "现在是7点30分，温度摄氏21.5度，湿度百分之45。",
        ),
        ("hi", "तापमान 18 °C है, 45% नमी।", "तापमान 18 डिग्री सेल्सियस है, 45 प्रतिशत नमी।"),
        ("hi", "अभी 7:30 बजे हैं।", "अभी 7:30 बजे हैं।"),
    ],
)
def test_language_rules(language: str, text: str, said: str) -> None:
    assert spoken(text, language) == said


def test_no_english_rules_for_other_voices() -> None:
    # English abbreviations, units and am/pm mean nothing to a Spanish voice: left alone
    assert spoken("Mr. Smith vs. 5 kg at 3 p.m.", "es") == "Mr. Smith vs. cinco kg at tres p.m."
