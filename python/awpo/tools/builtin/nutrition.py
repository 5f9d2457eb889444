"""Nutrition facts per 100 g on a fixed table."""

from __future__ import annotations

from typing import Any

from awpo.tools.registry import tool

PER_100G: dict[str, tuple[float, float, float, float]] = {  # kcal, protein g, carbs g, fat g
    "apple": (52, 0.3, 14.0, 0.2),
    "banana": (89, 1.1, 22.8, 0.3),
    "rice": (130, 2.7, 28.0, 0.3),
    "oats": (389, 16.9, 66.3, 6.9),
    "chicken breast": (165, 31.0, 0.0, 3.6),
    "salmon": (208, 20.0, 0.0, 13.0),
    "egg": (155, 13.0, 1.1, 11.0),
    "almonds": (579, 21.2, 21.6, 49.9),
    "broccoli": (34, 2.8, 6.6, 0.4),
    "lentils": (116, 9.0, 20.1, 0.4),
    "tofu": (76, 8.0, 1.9, 4.8),
    "cheddar": (403, 24.9, 1.3, 33.1),
    "avocado": (160, 2.0, 8.5, 14.7),
    "potato": (77, 2.0, 17.5, 0.1),
}


def facts(food: str, grams: float) -> dict[str, Any]:
    """Nutrition of `grams` of `food`, rounded to 0.1."""
    key = food.strip().lower()
    if key not in PER_100G:
        raise ValueError(f"unknown food {food!r}; known: {', '.join(PER_100G)}")
    if grams <= 0:
        raise ValueError("grams must be positive")
    kcal, protein, carbs, fat = (round(v * grams / 100, 1) for v in PER_100G[key])
    return {"food": key, "grams": grams, "calories": kcal, "protein_g": protein, "carbs_g": carbs, "fat_g": fat}


@tool
def get_nutrition(food: str, grams: float = 100) -> dict[str, Any]:
    """Calories and macronutrients of a portion of food.

    Args:
        food: Food name, e.g. "banana".
        grams: Portion size in grams.
    """
    return facts(food, grams)


@tool
def compare_calories(food_a: str, food_b: str) -> dict[str, Any]:
    """Compare the calories of two foods per 100 g.

    Args:
        food_a: First food.
        food_b: Second food.
    """
    a, b = facts(food_a, 100), facts(food_b, 100)
    higher = a["food"] if a["calories"] >= b["calories"] else b["food"]
    return {"per_100g": {a["food"]: a["calories"], b["food"]: b["calories"]}, "higher": higher}
