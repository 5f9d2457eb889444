"""Recipes on a fixed list."""

from __future__ import annotations

from typing import Any

from awpo.tools.registry import tool

RECIPES: list[dict[str, Any]] = [
    {"recipe_id": "R1", "name": "lentil soup", "minutes": 40, "ingredients": ["lentils", "carrot", "onion", "cumin"]},
    {"recipe_id": "R2", "name": "tomato pasta", "minutes": 20, "ingredients": ["pasta", "tomato", "garlic", "basil"]},
    {
        "recipe_id": "R3",
        "name": "chicken curry",
        "minutes": 45,
        "ingredients": ["chicken", "onion", "curry paste", "rice"],
    },
    {"recipe_id": "R4", "name": "greek salad", "minutes": 10, "ingredients": ["tomato", "cucumber", "feta", "olives"]},
    {
        "recipe_id": "R5",
        "name": "mushroom risotto",
        "minutes": 35,
        "ingredients": ["rice", "mushrooms", "onion", "parmesan"],
    },
    {"recipe_id": "R6", "name": "pancakes", "minutes": 25, "ingredients": ["flour", "eggs", "milk", "butter"]},
    {
        "recipe_id": "R7",
        "name": "veggie omelette",
        "minutes": 15,
        "ingredients": ["eggs", "pepper", "onion", "cheese"],
    },
    {"recipe_id": "R8", "name": "banana bread", "minutes": 70, "ingredients": ["banana", "flour", "eggs", "butter"]},
    {
        "recipe_id": "R9",
        "name": "chickpea stew",
        "minutes": 50,
        "ingredients": ["chickpeas", "tomato", "spinach", "garlic"],
    },
    {
        "recipe_id": "R10",
        "name": "salmon bowl",
        "minutes": 30,
        "ingredients": ["salmon", "rice", "avocado", "soy sauce"],
    },
]


@tool
def search_recipes(ingredient: str, max_minutes: int | None = None) -> dict[str, Any]:
    """Find recipes that use an ingredient, quickest first.

    Args:
        ingredient: An ingredient the recipe must contain.
        max_minutes: Longest acceptable total cooking time in minutes.
    """
    ing = ingredient.strip().lower()
    hits = [r for r in RECIPES if any(ing in i for i in r["ingredients"])]
    if max_minutes is not None:
        hits = [r for r in hits if r["minutes"] <= max_minutes]
    return {
        "recipes": [
            {"recipe_id": r["recipe_id"], "name": r["name"], "minutes": r["minutes"]}
            for r in sorted(hits, key=lambda r: r["minutes"])
        ]
    }


@tool
def get_recipe(recipe_id: str) -> dict[str, Any]:
    """Get a recipe's ingredients and cooking time.

    Args:
        recipe_id: Id from search_recipes.
    """
    for r in RECIPES:
        if r["recipe_id"] == recipe_id.strip().upper():
            return dict(r)
    raise ValueError(f"no recipe {recipe_id!r}")
