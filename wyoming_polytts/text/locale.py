"""A voice's language as the text path needs it, read once per reply."""

from __future__ import annotations

from dataclasses import dataclass

from .languages import WORDS, Language

_BRITISH = frozenset({"en-gb", "en-uk", "en-ie", "en-au", "en-nz"})


@dataclass(frozen=True)
class Locale:
    tag: str
    """Lower case with hyphens: "en-gb", "pt-br", "ja"."""

    @classmethod
    def of(cls, language: str) -> Locale:
        """From a language code in any usual spelling ("en_GB", "pt-BR")."""
        return cls(language.replace("_", "-").lower())

    @property
    def base(self) -> str:
        """The language without its region: "en"."""
        return self.tag.split("-", maxsplit=1)[0]

    @property
    def english(self) -> bool:
        return self.base == "en"

    @property
    def british(self) -> bool:
        """English as spoken outside the US (dates, "and" in numbers)."""
        return self.tag in _BRITISH

    @property
    def cjk(self) -> bool:
        """Japanese or Chinese: full-width punctuation, no spaces between words."""
        return self.base in ("ja", "zh")

    @property
    def words(self) -> Language | None:
        """How the language says symbols and numbers, where this project has rules for it."""
        return WORDS.get(self.base)
