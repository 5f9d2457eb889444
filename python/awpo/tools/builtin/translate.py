"""Word translation on a fixed bilingual dictionary."""

from __future__ import annotations

from typing import Any, Literal

from awpo.tools.registry import tool

Language = Literal["fr", "es", "de", "it"]

DICTIONARY: dict[str, dict[str, str]] = {
    "apple": {"fr": "pomme", "es": "manzana", "de": "Apfel", "it": "mela"},
    "bread": {"fr": "pain", "es": "pan", "de": "Brot", "it": "pane"},
    "water": {"fr": "eau", "es": "agua", "de": "Wasser", "it": "acqua"},
    "house": {"fr": "maison", "es": "casa", "de": "Haus", "it": "casa"},
    "book": {"fr": "livre", "es": "libro", "de": "Buch", "it": "libro"},
    "cat": {"fr": "chat", "es": "gato", "de": "Katze", "it": "gatto"},
    "dog": {"fr": "chien", "es": "perro", "de": "Hund", "it": "cane"},
    "friend": {"fr": "ami", "es": "amigo", "de": "Freund", "it": "amico"},
    "train": {"fr": "train", "es": "tren", "de": "Zug", "it": "treno"},
    "moon": {"fr": "lune", "es": "luna", "de": "Mond", "it": "luna"},
    "sun": {"fr": "soleil", "es": "sol", "de": "Sonne", "it": "sole"},
    "cheese": {"fr": "fromage", "es": "queso", "de": "Käse", "it": "formaggio"},
    "school": {"fr": "école", "es": "escuela", "de": "Schule", "it": "scuola"},
    "green": {"fr": "vert", "es": "verde", "de": "grün", "it": "verde"},
    "thank you": {"fr": "merci", "es": "gracias", "de": "danke", "it": "grazie"},
    "good morning": {"fr": "bonjour", "es": "buenos días", "de": "guten Morgen", "it": "buongiorno"},
}
LANGUAGE_NAMES: dict[str, str] = {"fr": "French", "es": "Spanish", "de": "German", "it": "Italian", "en": "English"}


@tool
def translate_word(word: str, target_language: Language) -> dict[str, Any]:
    """Translate an English word or short phrase.

    Args:
        word: The English word or phrase.
        target_language: Language code: fr, es, de or it.
    """
    entry = DICTIONARY.get(word.strip().lower())
    if entry is None:
        raise ValueError(f"{word!r} is not in the dictionary")
    return {"word": word.strip().lower(), "language": target_language, "translation": entry[target_language]}


@tool
def detect_language(text: str) -> dict[str, Any]:
    """Detect the language of a word or short phrase from the dictionary.

    Args:
        text: The word or phrase.
    """
    t = text.strip().lower()
    if t in DICTIONARY:
        return {"text": text, "language": "en"}
    for entry in DICTIONARY.values():
        for code, translation in entry.items():
            if translation.lower() == t:
                return {"text": text, "language": code}
    return {"text": text, "language": "unknown"}
