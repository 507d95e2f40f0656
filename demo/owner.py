"""The demo owner: an account made by registering, as anyone's is, that opens its
restaurants and their menus through the catalog routes (whoever creates a restaurant owns
it: SPEC §3; nobody sets owner_id through a request, so nothing else is needed).

Its password is DEMO_OWNER_PASSWORD, or a random one printed once, when the account is
made (as scripts/run does for the demo admin). Without it the demo cannot act as the
owner on a later run: what only the owner may do (open a missing restaurant, move an
order on) is then reported as skipped, never forced.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from demo.api import Api

OWNER_EMAIL = "owner@bellyfed.local"
OWNER_USERNAME = "mak.su"
OWNER_PROFILE = {
    "display_name": "Mak Su (Dapur Mak Su)",
    "bio": "Third-generation cook. Nasi lemak the way my grandmother made it, in four "
           "kitchens from Bangsar to Tanjong Pagar.",
    "location": "Kuala Lumpur",
}
BRAND = "Dapur Mak Su"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _dish(name: str, dish_type: str, price: str, description: str, *tags: str) -> dict:
    return {"name": name, "dish_type": dish_type, "price": price, "description": description,
            "tags": list(tags), "is_seasonal": False, "is_available": True}


MENU = [
    _dish("Nasi Lemak Ayam Rendang", "nasi lemak", "16.90",
          "Pandan coconut rice, chicken rendang slow-cooked for four hours, sambal, "
          "ikan bilis and a soft egg.", "signature", "spicy", "rice"),
    _dish("Nasi Lemak Sotong Sambal", "nasi lemak", "18.50",
          "Coconut rice with squid in sambal tumis, cucumber and roasted peanuts.",
          "spicy", "seafood", "rice"),
    _dish("Roti Canai Banjir", "roti canai", "6.50",
          "Flaky roti drowned in dhal and fish curry.", "breakfast", "bread"),
    _dish("Mee Goreng Mamak", "mee goreng", "12.00",
          "Yellow noodles wok-fried with tofu, potato, egg and lime.", "noodles", "spicy"),
    _dish("Teh Tarik Halia", "teh tarik", "4.20",
          "Pulled milk tea with fresh ginger, frothy and strong.", "drink", "hot"),
    _dish("Cendol Gula Melaka", "cendol", "7.80",
          "Shaved ice, pandan jelly, red beans, coconut milk and Malacca palm sugar.",
          "dessert", "cold"),
    _dish("Kuih Seri Muka", "kuih", "3.50",
          "Glutinous rice with a pandan custard top, made every morning.", "dessert"),
]
LOCAL_MENUS = {
    "George Town": [_dish("Asam Laksa Mak Su", "laksa", "11.50",
                          "Tamarind mackerel broth, thick rice noodles, mint, pineapple "
                          "and torch ginger.", "signature", "noodles", "sour")],
    "Singapore": [_dish("Satay Ayam (10 sticks)", "satay", "14.00",
                        "Charcoal-grilled chicken skewers with peanut sauce and ketupat.",
                        "grill")],
}


def _restaurant(branch: str, city: str, state: str, country: str, postal_code: str,
                address: str, latitude: float, longitude: float, phone: str,
                cuisines: list[str], price_range: int) -> dict:
    return {
        "name": f"{BRAND} ({branch})", "address": address, "city": city, "state": state,
        "country": country, "postal_code": postal_code, "latitude": latitude,
        "longitude": longitude, "phone": phone,
        "website": f"https://dapurmaksu.example.com/{branch.lower().replace(' ', '-')}",
        "hours": {day: "07:30-22:00" for day in WEEKDAYS}, "cuisine_type": cuisines,
        "price_range": price_range,
    }


RESTAURANTS = [
    _restaurant("Bangsar", "Kuala Lumpur", "Wilayah Persekutuan Kuala Lumpur", "Malaysia",
                "59100", "12, Jalan Telawi 3, Bangsar Baru", 3.131694, 101.671028,
                "+60 3-2282 1234", ["Malay", "Nyonya"], 2),
    _restaurant("Lebuh Chulia", "George Town", "Penang", "Malaysia", "10200",
                "88, Lebuh Chulia", 5.417447, 100.337227, "+60 4-261 5678",
                ["Nyonya", "Malay"], 2),
    _restaurant("SS2", "Petaling Jaya", "Selangor", "Malaysia", "47300",
                "21, Jalan SS 2/64", 3.118612, 101.620255, "+60 3-7875 9012", ["Malay"], 1),
    _restaurant("Tanjong Pagar", "Singapore", "Singapore", "Singapore", "088458",
                "45 Tanjong Pagar Road", 1.278380, 103.843180, "+65 6221 3456",
                ["Malay"], 3),
]


def menu_of(restaurant: dict) -> list[dict]:
    return MENU + LOCAL_MENUS.get(restaurant["city"], [])


@dataclass
class Owner:
    """The owner's account as far as the demo can reach it, and its restaurants found."""

    token: str | None = None
    user_id: str | None = None
    created: bool = False
    password_printed: str | None = None  # only when made now with a random password
    restaurants: dict[str, dict] = field(default_factory=dict)  # by name
    notes: list[str] = field(default_factory=list)

    def owns(self, restaurant_id: str) -> bool:
        return any(item["id"] == restaurant_id and item["owner_id"] == self.user_id
                   for item in self.restaurants.values())


def sign_in_owner(api: Api, password: str | None) -> Owner:
    """Sign the owner in with `password` (DEMO_OWNER_PASSWORD), or make the account."""
    owner = Owner()
    if password:
        owner.token = api.sign_in(OWNER_EMAIL, password)
        if owner.token is None:
            if api.register(OWNER_EMAIL, OWNER_USERNAME, password,
                            OWNER_PROFILE["display_name"]) is not None:
                owner.created = True
                owner.token = api.sign_in(OWNER_EMAIL, password)
            else:
                owner.notes.append(f"{OWNER_EMAIL} exists and DEMO_OWNER_PASSWORD is not its "
                                   "password: the owner's parts are skipped")
    else:
        password = secrets.token_urlsafe(12)
        if api.register(OWNER_EMAIL, OWNER_USERNAME, password,
                        OWNER_PROFILE["display_name"]) is not None:
            owner.created, owner.password_printed = True, password
            owner.token = api.sign_in(OWNER_EMAIL, password)
    if owner.token:
        me = api.get("/users/me", token=owner.token)
        owner.user_id = me["id"]
        if any(me.get(key) != value for key, value in OWNER_PROFILE.items()):
            api.call("PATCH", "/users/me", token=owner.token, json=OWNER_PROFILE)
    return owner


def find_restaurants(api: Api, owner: Owner) -> None:
    """The owner's restaurants that exist, by name: the owner's own first; one of another
    owner (the owner's account made anew, its restaurants kept) is used, never doubled,
    though the owner cannot move its orders on."""
    names = {spec["name"] for spec in RESTAURANTS}
    for item in api.pages("/restaurants", {"q": BRAND}):
        if item["name"] in names and item.get("owner_id") and (
                item["name"] not in owner.restaurants or item["owner_id"] == owner.user_id):
            owner.restaurants[item["name"]] = item
    if owner.user_id is None and owner.restaurants:  # not signed in: who owns them, then
        owner.user_id = next(iter(owner.restaurants.values()))["owner_id"]
    for name, item in sorted(owner.restaurants.items()):
        if item["owner_id"] != owner.user_id:
            owner.notes.append(f"{name} belongs to another account than {OWNER_EMAIL}: its "
                               "orders are left where they are")


def open_restaurants(api: Api, owner: Owner, menus: dict[str, dict[str, str]]) -> int:
    """Create the owner's missing restaurants and dishes (`menus`: each restaurant id's
    dishes, name to id, completed with those made); how many things were created."""
    created = 0
    for spec in RESTAURANTS:
        restaurant = owner.restaurants.get(spec["name"])
        if restaurant is None:
            if owner.token is None:
                owner.notes.append(f"{spec['name']} is missing and the demo cannot sign in "
                                   "as its owner (set DEMO_OWNER_PASSWORD): not opened")
                continue
            restaurant = api.call("POST", "/restaurants", token=owner.token, json=spec,
                                  expect=(201,)).json()
            owner.restaurants[spec["name"]] = restaurant
            created += 1
        have = menus.setdefault(restaurant["id"], {})
        missing = [dish for dish in menu_of(spec) if dish["name"] not in have]
        if missing and (owner.token is None or restaurant["owner_id"] != owner.user_id):
            owner.notes.append(f"{spec['name']} lacks {len(missing)} dish(es) and the demo "
                               "cannot act as its owner: not added")
            continue
        for dish in missing:
            made = api.call("POST", f"/restaurants/{restaurant['id']}/dishes",
                            token=owner.token, json=dish, expect=(201,)).json()
            have[made["name"]] = made["id"]
            created += 1
    return created
