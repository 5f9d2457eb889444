"""A product catalogue and a shopping cart kept in the episode state."""

from __future__ import annotations

from typing import Any

from awpo.tools.context import episode_state
from awpo.tools.registry import tool

PRODUCTS: list[dict[str, Any]] = [
    {"product_id": "P100", "name": "wireless mouse", "price": 24.99, "category": "electronics"},
    {"product_id": "P101", "name": "mechanical keyboard", "price": 89.0, "category": "electronics"},
    {"product_id": "P102", "name": "usb-c cable", "price": 9.5, "category": "electronics"},
    {"product_id": "P103", "name": "noise cancelling headphones", "price": 199.0, "category": "electronics"},
    {"product_id": "P200", "name": "running shoes", "price": 75.0, "category": "sports"},
    {"product_id": "P201", "name": "yoga mat", "price": 29.9, "category": "sports"},
    {"product_id": "P202", "name": "water bottle", "price": 15.0, "category": "sports"},
    {"product_id": "P300", "name": "coffee beans", "price": 12.5, "category": "grocery"},
    {"product_id": "P301", "name": "green tea", "price": 6.75, "category": "grocery"},
    {"product_id": "P302", "name": "dark chocolate", "price": 3.2, "category": "grocery"},
    {"product_id": "P400", "name": "desk lamp", "price": 34.0, "category": "home"},
    {"product_id": "P401", "name": "throw pillow", "price": 19.0, "category": "home"},
]


@tool
def search_products(query: str, max_price: float | None = None) -> dict[str, Any]:
    """Search the catalogue by name or category, cheapest first.

    Args:
        query: Words to look for in product names or categories.
        max_price: Highest acceptable price in USD.
    """
    q = query.strip().lower()
    hits = [p for p in PRODUCTS if q in p["name"] or q == p["category"]]
    if max_price is not None:
        hits = [p for p in hits if p["price"] <= max_price]
    return {"products": sorted(hits, key=lambda p: p["price"])}


@tool
def add_to_cart(product_id: str, quantity: int = 1) -> dict[str, Any]:
    """Add a product to the shopping cart.

    Args:
        product_id: Product id from search_products.
        quantity: How many to add.
    """
    product = next((p for p in PRODUCTS if p["product_id"] == product_id.strip().upper()), None)
    if product is None:
        raise ValueError(f"unknown product {product_id!r}")
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    cart: dict[str, int] = episode_state("shopping").setdefault("cart", {})
    cart[product["product_id"]] = cart.get(product["product_id"], 0) + quantity
    return {"product_id": product["product_id"], "quantity": cart[product["product_id"]]}


@tool
def view_cart() -> dict[str, Any]:
    """Show the cart's items and total."""
    cart: dict[str, int] = episode_state("shopping").get("cart", {})
    items = []
    for pid, qty in cart.items():
        product = next(p for p in PRODUCTS if p["product_id"] == pid)
        items.append(
            {"product_id": pid, "name": product["name"], "quantity": qty, "subtotal": round(product["price"] * qty, 2)}
        )
    return {"items": items, "total": round(sum(i["subtotal"] for i in items), 2)}
