"""Demo catalog: a few hundred plausible Malaysian and Singaporean restaurants and their dishes.

Pure and deterministic (standard library only, no I/O): every call returns the same plain
dicts, and ids are ``uuid5`` values derived from stable slugs, so seeding a database with
this data twice writes the same rows. Restaurants are drawn from one seeded stream; each
restaurant's menu from its own stream (seeded by its slug), so the restaurants do not depend
on ``dishes_per_restaurant``.
"""

from __future__ import annotations

import functools
import random
import re
import unicodedata
import uuid
from dataclasses import dataclass

__all__ = ["DEMO_NAMESPACE", "DEMO_SEED", "generate_demo_catalog"]

DEMO_SEED = 20240611
DEMO_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://bellyfed.example.com/demo-catalog")

MIN_PRICE_CENTS = 300
MAX_PRICE_CENTS = 15_000
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# --- places ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class _City:
    name: str
    state: str
    country: str
    weight: int
    # a box on land around the real city centre: (south, north), (west, east)
    lat: tuple[float, float]
    lon: tuple[float, float]
    # "#" is replaced by a random digit
    phone_formats: tuple[str, ...]
    # (street, neighbourhood, postal code); "*" in a postal code is a random digit
    streets: tuple[tuple[str, str, str], ...]
    cuisine_bias: tuple[tuple[str, float], ...] = ()


_MY_MOBILE = ("+60 12-### ####", "+60 16-### ####", "+60 19-### ####", "+60 17-### ####")

_CITIES: tuple[_City, ...] = (
    _City(
        "Kuala Lumpur", "Wilayah Persekutuan Kuala Lumpur", "Malaysia", 24,
        (3.115, 3.170), (101.665, 101.720),
        ("+60 3-#### ####",) * 3 + _MY_MOBILE,
        (
            ("Jalan Alor", "Bukit Bintang", "50200"),
            ("Jalan Bukit Bintang", "Bukit Bintang", "55100"),
            ("Changkat Bukit Bintang", "Bukit Bintang", "50200"),
            ("Jalan Petaling", "Chinatown", "50000"),
            ("Jalan Tun H.S. Lee", "Chinatown", "50000"),
            ("Jalan Telawi 3", "Bangsar Baru", "59100"),
            ("Lorong Kurau", "Bangsar", "59100"),
            ("Jalan Maarof", "Bangsar", "59000"),
            ("Jalan Raja Muda Musa", "Kampung Baru", "50300"),
            ("Jalan Doraisamy", "Chow Kit", "50300"),
            ("Jalan Masjid India", "Masjid India", "50100"),
            ("Jalan Tuanku Abdul Rahman", "Chow Kit", "50100"),
            ("Jalan Imbi", "Imbi", "55100"),
            ("Jalan Pudu", "Pudu", "55100"),
            ("Jalan Yap Kwan Seng", "Kampung Baru", "50450"),
            ("Jalan Ampang", "KLCC", "50450"),
        ),
        (("Malay", 1.3),),
    ),
    _City(
        "Petaling Jaya", "Selangor", "Malaysia", 13,
        (3.085, 3.130), (101.590, 101.650),
        ("+60 3-#### ####",) * 3 + _MY_MOBILE,
        (
            ("Jalan SS 2/24", "SS2", "47300"),
            ("Jalan SS 2/64", "SS2", "47300"),
            ("Jalan 17/45", "Section 17", "46400"),
            ("Jalan Kemajuan", "Section 13", "46200"),
            ("Jalan Gasing", "Bukit Gasing", "46000"),
            ("Jalan SS 21/37", "Damansara Utama", "47400"),
            ("Jalan Universiti", "Section 11", "46200"),
            ("Jalan Othman", "Old Town", "46000"),
            ("Jalan Yong Shook Lin", "Section 52", "46050"),
            ("Jalan 14/20", "Section 14", "46100"),
            ("Jalan Templer", "Old Town", "46000"),
        ),
    ),
    _City(
        "George Town", "Penang", "Malaysia", 15,
        (5.395, 5.440), (100.300, 100.336),
        ("+60 4-### ####",) * 3 + _MY_MOBILE,
        (
            ("Lebuh Chulia", "Heritage Zone", "10200"),
            ("Lebuh Armenian", "Heritage Zone", "10200"),
            ("Lebuh Campbell", "Heritage Zone", "10100"),
            ("Lebuh Kimberley", "Heritage Zone", "10100"),
            ("Lebuh Pantai", "Heritage Zone", "10300"),
            ("Jalan Penang", "Georgetown", "10000"),
            ("Lorong Baru", "Pulau Tikus", "10400"),
            ("Jalan Burma", "Pulau Tikus", "10050"),
            ("Jalan Transfer", "Georgetown", "10050"),
            ("Jalan Macalister", "Georgetown", "10400"),
            ("Jalan Kek Chuan", "Georgetown", "10400"),
            ("Persiaran Gurney", "Gurney", "10250"),
            ("Jalan Anson", "Georgetown", "10400"),
        ),
        (("Chinese", 1.3), ("Nyonya", 2.0), ("Indian", 1.2)),
    ),
    _City(
        "Johor Bahru", "Johor", "Malaysia", 11,
        (1.470, 1.555), (103.720, 103.800),
        ("+60 7-### ####",) * 3 + _MY_MOBILE,
        (
            ("Jalan Wong Ah Fook", "Bandar Johor Bahru", "80000"),
            ("Jalan Tan Hiok Nee", "Bandar Johor Bahru", "80000"),
            ("Jalan Dhoby", "Bandar Johor Bahru", "80000"),
            ("Jalan Trus", "Bandar Johor Bahru", "80000"),
            ("Jalan Meldrum", "Bandar Johor Bahru", "80000"),
            ("Jalan Harimau", "Taman Century", "80250"),
            ("Jalan Sutera", "Taman Sentosa", "80150"),
            ("Jalan Serampang", "Taman Pelangi", "80400"),
            ("Jalan Molek 1/29", "Taman Molek", "81100"),
            ("Jalan Perisai", "Taman Sri Tebrau", "80050"),
        ),
        (("Malay", 1.2), ("Seafood", 1.3)),
    ),
    _City(
        "Ipoh", "Perak", "Malaysia", 9,
        (4.570, 4.625), (101.065, 101.115),
        ("+60 5-### ####",) * 3 + _MY_MOBILE,
        (
            ("Jalan Sultan Yussuf", "Old Town", "30000"),
            ("Jalan Bandar Timah", "Old Town", "30000"),
            ("Jalan Dato Onn Jaafar", "New Town", "30300"),
            ("Jalan Mustapha Al-Bakri", "New Town", "30300"),
            ("Jalan Yau Tet Shin", "New Town", "30300"),
            ("Jalan Leong Sin Nam", "New Town", "30300"),
            ("Jalan Raja Ekram", "Greentown", "30450"),
            ("Jalan Sultan Iskandar", "Old Town", "30000"),
            ("Jalan Kampar", "Ipoh Garden", "30250"),
            ("Jalan Pasir Puteh", "Pasir Puteh", "31650"),
        ),
        (("Chinese", 1.5),),
    ),
    _City(
        "Malacca", "Melaka", "Malaysia", 9,
        (2.190, 2.235), (102.245, 102.285),
        ("+60 6-### ####",) * 3 + _MY_MOBILE,
        (
            ("Jalan Hang Jebat", "Jonker Street", "75200"),
            ("Jalan Tun Tan Cheng Lock", "Heeren Street", "75200"),
            ("Jalan Hang Lekir", "Bandar Hilir", "75200"),
            ("Jalan Kampung Pantai", "Bandar Hilir", "75200"),
            ("Jalan Bendahara", "Bandar Kaba", "75100"),
            ("Jalan Munshi Abdullah", "Bandar Kaba", "75100"),
            ("Jalan Bunga Raya", "Bandar Kaba", "75100"),
            ("Jalan Melaka Raya 1", "Taman Melaka Raya", "75000"),
            ("Jalan Merdeka", "Bandar Hilir", "75000"),
            ("Jalan Tengkera", "Tengkera", "75200"),
        ),
        (("Nyonya", 2.5),),
    ),
    _City(
        "Kota Kinabalu", "Sabah", "Malaysia", 6,
        (5.930, 5.995), (116.075, 116.125),
        ("+60 88-### ###",) * 3 + _MY_MOBILE,
        (
            ("Jalan Gaya", "Pusat Bandar", "88000"),
            ("Jalan Pantai", "Pusat Bandar", "88000"),
            ("Jalan Haji Saman", "Pusat Bandar", "88000"),
            ("Jalan Pasar Baru", "Pusat Bandar", "88000"),
            ("Jalan Tun Fuad Stephens", "Tanjung Lipat", "88400"),
            ("Jalan Lintas", "Luyang", "88300"),
            ("Jalan Kolam", "Luyang", "88300"),
            ("Jalan Bundusan", "Damai", "88300"),
        ),
        (("Seafood", 3.0), ("Chinese", 1.2)),
    ),
    _City(
        "Singapore", "Singapore", "Singapore", 13,
        (1.280, 1.365), (103.820, 103.905),
        ("+65 6### ####",) * 3 + ("+65 8### ####", "+65 9### ####"),
        (
            ("Amoy Street", "Telok Ayer", "069***"),
            ("Telok Ayer Street", "Telok Ayer", "068***"),
            ("Maxwell Road", "Tanjong Pagar", "069***"),
            ("Keong Saik Road", "Chinatown", "089***"),
            ("Smith Street", "Chinatown", "058***"),
            ("Tanjong Pagar Road", "Tanjong Pagar", "088***"),
            ("Joo Chiat Road", "Katong", "427***"),
            ("East Coast Road", "Katong", "428***"),
            ("Serangoon Road", "Little India", "218***"),
            ("Beach Road", "Kampong Glam", "199***"),
            ("North Bridge Road", "Kampong Glam", "188***"),
            ("Upper Thomson Road", "Thomson", "574***"),
        ),
        (("Chinese", 1.4), ("Malay", 0.6), ("Nyonya", 1.5)),
    ),
)


# --- cuisines -------------------------------------------------------------------------------

_CUISINE_WEIGHTS: dict[str, float] = {
    "Malay": 22, "Chinese": 22, "Indian": 14, "Nyonya": 5, "Thai": 6, "Japanese": 8,
    "Korean": 6, "Western": 9, "Middle Eastern": 3, "Vegetarian": 3, "Seafood": 4,
}

# what a restaurant of the first cuisine plausibly also lists as its second
_SECOND_CUISINES: dict[str, tuple[str, ...]] = {
    "Malay": ("Thai", "Indian", "Seafood", "Western"),
    "Chinese": ("Nyonya", "Seafood", "Vegetarian", "Malay"),
    "Indian": ("Malay", "Vegetarian", "Middle Eastern"),
    "Nyonya": ("Chinese", "Malay"),
    "Thai": ("Malay", "Seafood", "Chinese"),
    "Japanese": ("Korean", "Western"),
    "Korean": ("Japanese",),
    "Western": ("Malay", "Japanese"),
    "Middle Eastern": ("Indian", "Western"),
    "Vegetarian": ("Chinese", "Indian", "Western"),
    "Seafood": ("Chinese", "Malay", "Thai"),
}

# chance a restaurant of this (first) cuisine is halal; Malay, Indian-Muslim and
# Middle Eastern places are, vegetarian places are tagged vegetarian instead
_HALAL_CHANCE: dict[str, float] = {
    "Malay": 1.0, "Indian": 1.0, "Middle Eastern": 1.0, "Chinese": 0.15, "Nyonya": 0.2,
    "Thai": 0.5, "Japanese": 0.35, "Korean": 0.4, "Western": 0.5, "Vegetarian": 0.0,
    "Seafood": 0.5,
}

_PRICE_RANGE_WEIGHTS: dict[str, tuple[float, float, float, float]] = {
    "Malay": (5, 4, 1, 0), "Chinese": (4, 4, 2, 0.5), "Indian": (5, 3, 1, 0),
    "Nyonya": (0, 4, 4, 1), "Thai": (2, 5, 3, 0), "Japanese": (0, 3, 4, 2),
    "Korean": (0, 5, 4, 1), "Western": (1, 4, 4, 2), "Middle Eastern": (0, 5, 3, 1),
    "Vegetarian": (4, 4, 1, 0), "Seafood": (0, 3, 5, 2),
}
_PRICE_FACTOR = {1: 0.8, 2: 1.0, 3: 1.3, 4: 1.75}

# (name template, dish type the name promises, or None); {w} is one of _NAME_WORDS
_NAME_PATTERNS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "Malay": (
        ("Warung {w}", None), ("Restoran {w}", None), ("Gerai {w}", None),
        ("Kedai Makan {w}", None), ("Dapur {w}", None), ("Selera {w}", None),
        ("Nasi Lemak {w}", "nasi lemak"), ("Satay {w}", "satay"),
        ("Restoran Nasi Campur {w}", "nasi campur"), ("Ikan Bakar {w}", "ikan bakar"),
        ("Soto {w}", "soto ayam"),
    ),
    "Chinese": (
        ("Kedai Kopi {w}", None), ("Restoran {w}", None), ("{w} Kopitiam", None),
        ("{w} Chicken Rice", "chicken rice"), ("{w} Dim Sum House", "dim sum"),
        ("{w} Noodle House", "wonton mee"), ("{w} Bak Kut Teh", "bak kut teh"),
        ("{w} Char Kway Teow", "char kway teow"), ("{w} Claypot", "claypot chicken rice"),
        ("{w} Roast House", "char siu"),
    ),
    "Indian": (
        ("Restoran Nasi Kandar {w}", "nasi kandar"), ("{w} Banana Leaf", "banana leaf rice"),
        ("Restoran {w}", None), ("Mamak {w}", None), ("{w} Curry House", None),
        ("Restoran {w} Maju", None), ("{w} Roti Canai", "roti canai"),
        ("{w} Briyani House", "biryani"), ("{w} Tandoori", "tandoori chicken"),
    ),
    "Nyonya": (
        ("{w} Nyonya Kitchen", None), ("Nyonya {w}", None), ("{w} Peranakan Cuisine", None),
        ("Restoran Nyonya {w}", None), ("{w} Laksa House", "laksa"),
        ("{w} Nyonya Kuih", "kuih"), ("{w} Cendol", "cendol"),
    ),
    "Thai": (
        ("{w} Thai Kitchen", None), ("Baan {w}", None), ("{w} Tomyam", "tom yum"),
        ("Restoran {w} Tomyam", "tom yum"), ("{w} Thai Street Food", "pad thai"),
        ("Kedai {w} Thai", None),
    ),
    "Japanese": (
        ("Sushi {w}", "sushi"), ("Ramen {w}", "ramen"), ("{w} Izakaya", None),
        ("{w} Japanese Dining", None), ("Udon {w}", "udon"), ("{w} Donburi", "donburi"),
        ("Katsu {w}", "katsu curry"),
    ),
    "Korean": (
        ("{w} Korean BBQ", "korean bbq"), ("{w} Pocha", None), ("{w} Kitchen", None),
        ("{w} Fried Chicken", "korean fried chicken"), ("Bibimbap {w}", "bibimbap"),
        ("{w} Korean Restaurant", None),
    ),
    "Western": (
        ("The {w} Grill", "steak"), ("{w} Burger Co.", "burger"), ("{w} Pizzeria", "pizza"),
        ("{w} Bistro", None), ("{w} Café", None), ("{w} Steakhouse", "steak"),
        ("{w} Western Food", "chicken chop"), ("{w} Kitchen & Bar", None),
    ),
    "Middle Eastern": (
        ("{w} Restaurant", None), ("Restoran {w}", None), ("{w} Shawarma", "shawarma"),
        ("{w} Mandi House", "mandi rice"), ("{w} Kebab", "kebab"),
        ("{w} Arabic Cuisine", None),
    ),
    "Vegetarian": (
        ("{w} Vegetarian", None), ("Restoran Vegetarian {w}", None),
        ("{w} Vegan Café", None), ("{w} Vegetarian House", None), ("{w} Lei Cha", "lei cha"),
    ),
    "Seafood": (
        ("{w} Seafood Restaurant", None), ("Ikan Bakar {w}", "ikan bakar"),
        ("{w} Crab House", "chilli crab"), ("Restoran Makanan Laut {w}", None),
        ("{w} Seafood Village", None),
    ),
}

_NAME_WORDS: dict[str, tuple[str, ...]] = {
    "Malay": (
        "Mak Siti", "Kak Ros", "Pak Mat", "Tok Wan", "Mak Jah", "Kak Yah", "Abang Din",
        "Pak Ali", "Cik Nor", "Mak Long", "Kak Ton", "Pak Hassan", "Mak Limah", "Kak Zah",
        "Abang Mie", "Pak Lang", "Tok Ayah", "Mak Cik Kiah", "Haji Ismail", "Hajjah Fatimah",
        "Wan Sulaiman", "Kak Mah", "Che Mek", "Pak Su",
    ),
    "Chinese": (
        "Hock Seng", "Sun Hong Kee", "Yut Kee", "Lai Foong", "Kim Kee", "Ah Weng",
        "Soon Fatt", "Chuan Kee", "Wah Kee", "Tai Thong", "Heng Ann", "Fatt Kee", "Sin Kee",
        "Ming Tien", "Nam Heong", "Kwong Wah", "Yik Mun", "Seng Kee", "Hoe Kee", "Ah Chew",
        "Goh Brothers", "Lim Ah Huat", "Tong Shin", "Hup Kee", "Loke Yun", "Chee Cheong",
    ),
    "Indian": (
        "Ali", "Kassim", "Muthu", "Raju", "Hameed", "Sri Ganesh", "Kanna", "Selvam", "Devi",
        "Ravi", "Meera", "Yusoff", "Karim", "Mohideen", "Sakthi", "Lakshmi", "Bilal",
        "Rahim", "Murugan", "Krishna", "Jamal", "Nasir", "Sri Anand", "Valli",
    ),
    "Nyonya": (
        "Baba Lim", "Nonya Poh", "Bibik Neo", "Mama Lee", "Kebaya", "Sri Pinang", "Jonker",
        "Heeren", "Rumah Merah", "Baba Wong", "Nonya Rose", "Bibik Tan", "Pinang Lama",
        "Kampung Bali", "Bunga Telang", "Cempaka",
    ),
    "Thai": (
        "Siam", "Chiang Mai", "Bangkok", "Krathong", "Sawadee", "Lanna", "Phuket", "Erawan",
        "Isaan", "Songkhla", "Hatyai", "Suk Jai", "Kin Dee", "Ayutthaya", "Pattani",
    ),
    "Japanese": (
        "Hana", "Sakura", "Ichiro", "Kaze", "Tsuki", "Hoshi", "Kiku", "Yuki", "Matsu", "Nami",
        "Sora", "Koi", "Umi", "Taiyo", "Hikari", "Momiji", "Kintaro", "Daruma", "Ginza",
        "Ebisu",
    ),
    "Korean": (
        "Seoul", "Hanok", "Gangnam", "Busan", "Mapo", "Insadong", "Jeju", "Myeongdong",
        "Hongdae", "Daebak", "Oppa", "Haru", "Arirang", "Mugunghwa", "Itaewon", "Namsan",
    ),
    "Western": (
        "Hungry Tiger", "Rusty Spoon", "Copper Pot", "Old Oak", "Brickhouse", "Blue Door",
        "Urban Fork", "Salt & Pepper", "Smokehouse", "Good Fellas", "Little Wolf",
        "Olive Tree", "Harbour", "Black Sheep", "Iron Skillet", "Tin Roof", "Marble Arch",
    ),
    "Middle Eastern": (
        "Al-Noor", "Al-Sultan", "Al-Bait", "Al-Rawsha", "Al-Diwan", "Sahara", "Petra",
        "Bosphorus", "Damascus", "Beirut", "Arabesque", "Hadramawt", "Marrakesh",
        "Istanbul", "Zaatar", "Yemen Palace",
    ),
    "Vegetarian": (
        "Lotus", "Bodhi", "Green Leaf", "Evergreen", "Harmony", "Pure Heart", "Lohas",
        "Ananda", "Zen Garden", "Kwan Yin", "Tian Xin", "Sage", "Jade Bamboo", "Sri Annapoorna",
    ),
    "Seafood": (
        "Jetty", "Pantai", "Teluk", "Ocean Pearl", "Tanjung", "Nelayan", "Kampung Laut",
        "Pulau", "Mutiara", "Ombak", "Red Snapper", "Sea Breeze", "Anchor", "Kuala",
    ),
}

# opening hours per day ("HH:MM-HH:MM", "closed" on a rest day)
_HOURS_BREAKFAST = ("07:00-15:00", "06:30-14:30", "07:30-16:00", "06:00-13:00")
_HOURS_ALL_DAY = ("00:00-23:59",)
_HOURS_DINNER = ("17:00-23:30", "16:30-23:00", "18:00-23:45", "17:30-23:00")
_HOURS_REGULAR = (
    "10:00-22:00", "11:00-22:00", "11:30-22:30", "12:00-23:00", "08:00-22:00",
    "10:30-21:30", "11:00-21:00", "09:00-21:00",
)

_DESCRIPTION_ENDINGS = (
    "", "", "", "", ", cooked fresh to order", ", a regular favourite in {city}",
    ", made from the family's original recipe", ", best enjoyed while it is hot",
    ", prepared in small batches every day",
)


# --- dishes ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Variant:
    name: str
    price: float  # typical MYR price at a mid-range (price_range 2) place
    tags: tuple[str, ...]
    description: str  # one sentence, without the full stop


def _v(name: str, price: float, tags: str, description: str) -> _Variant:
    return _Variant(name, price, tuple(t.strip() for t in tags.split(",")), description)


_TAG_ORDER = (
    "halal", "vegetarian", "vegan", "gluten free", "pork", "signature", "spicy", "seafood",
    "chicken", "beef", "lamb", "rice", "noodles", "bread", "soup", "breakfast", "dessert",
    "beverage", "grilled", "fried", "street food",
)

_TEH_TARIK = _v("Teh Tarik", 3.0, "beverage,vegetarian",
                "Strong black tea pulled with condensed milk until smooth and frothy")
_TAU_FU_FA = _v("Tau Fu Fa", 3.5, "dessert,vegetarian,vegan",
                "Silky warm soybean pudding in a light ginger and brown sugar syrup")
_THOSAI_MASALA = _v("Thosai Masala", 5.0, "breakfast,vegetarian",
                    "Crispy fermented rice and lentil crepe filled with spiced potato, "
                    "served with sambar and chutneys")
_TOM_YUM_SEAFOOD = _v("Tom Yum Seafood", 20.0, "soup,spicy,seafood",
                      "Clear hot and sour broth loaded with prawns, squid and fish")
_PORTOBELLO_BURGER = _v("Portobello Mushroom Burger", 22.0, "vegetarian,bread",
                        "Grilled portobello, caramelised onion and melted cheddar in a "
                        "toasted brioche bun")

# cuisine -> dish type -> (popularity weight, variants)
_MENUS: dict[str, dict[str, tuple[float, tuple[_Variant, ...]]]] = {
    "Malay": {
        "nasi lemak": (12, (
            _v("Nasi Lemak Ayam Goreng", 12.0, "rice,chicken,fried",
               "Pandan coconut rice with a crispy fried chicken leg, sambal, ikan bilis, "
               "peanuts and cucumber"),
            _v("Nasi Lemak Rendang Daging", 14.0, "rice,beef,spicy",
               "Coconut rice with slow-cooked beef rendang, sambal, fried anchovies, roasted "
               "peanuts and a boiled egg"),
            _v("Nasi Lemak Biasa", 4.5, "rice,breakfast,street food",
               "The classic breakfast packet of coconut rice, sambal, ikan bilis, peanuts, "
               "cucumber and half a boiled egg"),
            _v("Nasi Lemak Sotong Sambal", 13.0, "rice,seafood,spicy",
               "Coconut rice topped with tender squid in sweet and spicy sambal, with "
               "peanuts and ikan bilis"),
            _v("Nasi Lemak Telur Mata", 6.5, "rice,breakfast",
               "Coconut rice with a runny sunny-side-up egg, house sambal, crispy anchovies "
               "and peanuts"),
        )),
        "rendang": (5, (
            _v("Rendang Daging", 16.0, "beef,spicy",
               "Beef simmered for hours in coconut milk, kerisik and spices until dark, dry "
               "and meltingly tender"),
            _v("Rendang Ayam", 13.0, "chicken,spicy",
               "Chicken slow-cooked in a rich paste of lemongrass, galangal, chilli and "
               "toasted coconut"),
            _v("Rendang Tok Perak", 18.0, "beef,spicy",
               "Perak-style rendang tok cooked down until nearly dry, with deep caramelised "
               "coconut and spice"),
        )),
        "satay": (6, (
            _v("Satay Ayam (10 Sticks)", 12.0, "grilled,chicken,street food",
               "Turmeric-marinated chicken skewers grilled over charcoal, served with peanut "
               "sauce, ketupat, cucumber and onion"),
            _v("Satay Daging (10 Sticks)", 15.0, "grilled,beef,street food",
               "Charcoal-grilled beef skewers in a lemongrass marinade with chunky peanut "
               "sauce and nasi impit"),
            _v("Satay Kajang Campur", 20.0, "grilled,street food",
               "A mixed platter of Kajang-style chicken and beef satay with sweet peanut "
               "gravy and rice cakes"),
        )),
        "nasi goreng": (6, (
            _v("Nasi Goreng Kampung", 9.0, "rice,spicy,fried",
               "Village-style fried rice with ikan bilis, kangkung, bird's eye chilli and a "
               "fried egg on top"),
            _v("Nasi Goreng Pattaya", 10.0, "rice,chicken",
               "Chicken fried rice wrapped in a thin omelette and finished with chilli sauce"),
            _v("Nasi Goreng USA", 13.5, "rice,chicken,spicy",
               "Fried rice with sweet and sour chicken, a fried egg and spicy sambal on the "
               "side"),
            _v("Nasi Goreng Ayam", 9.0, "rice,chicken,fried",
               "Wok-fried rice with diced chicken, egg, long beans and a touch of chilli "
               "paste"),
        )),
        "mee goreng": (5, (
            _v("Mee Goreng Basah", 8.5, "noodles,spicy",
               "Saucy yellow noodles fried with tofu, choy sum, egg and a sweet chilli gravy"),
            _v("Mee Goreng Udang", 11.0, "noodles,seafood,spicy",
               "Yellow noodles wok-fried with prawns, egg, bean sprouts and house chilli "
               "paste"),
        )),
        "nasi kerabu": (3, (
            _v("Nasi Kerabu Ayam Percik", 14.0, "rice,grilled,chicken",
               "Kelantanese blue rice with fresh ulam herbs, kerisik, fish crackers and "
               "grilled ayam percik"),
            _v("Nasi Kerabu Ikan Bakar", 15.0, "rice,grilled,seafood",
               "Butterfly-pea blue rice with shredded herbs, budu, salted egg and "
               "charcoal-grilled fish"),
        )),
        "soto ayam": (3, (
            _v("Soto Ayam", 9.0, "soup,chicken",
               "Fragrant turmeric chicken broth with shredded chicken, rice cubes, bean "
               "sprouts and sambal kicap"),
            _v("Soto Ayam Mee Hoon", 9.5, "soup,chicken,noodles",
               "Spiced chicken soup with rice vermicelli, shredded chicken, fried shallots and "
               "a potato begedil"),
        )),
        "mee rebus": (3, (
            _v("Mee Rebus", 8.0, "noodles,breakfast",
               "Yellow noodles in a thick sweet potato and dried shrimp gravy with egg, tofu "
               "and lime"),
            _v("Mee Rebus Tulang", 14.0, "noodles,beef",
               "Mee rebus with a big marrow-rich beef bone to share, finished with green "
               "chilli"),
        )),
        "laksa": (3, (
            _v("Laksa Johor", 11.0, "noodles,seafood,spicy",
               "Spaghetti in a thick fish and coconut curry gravy with fresh herbs, cucumber "
               "and sambal belacan"),
            _v("Laksam Kelantan", 9.0, "noodles,seafood",
               "Rolled rice noodle sheets in a creamy fish and coconut gravy with ulam and "
               "chilli"),
        )),
        "nasi campur": (4, (
            _v("Nasi Campur Ayam Masak Merah", 12.0, "rice,chicken,spicy",
               "Rice with chicken in a tomato-chilli masak merah gravy, stir-fried cabbage and "
               "a spoon of sambal"),
            _v("Nasi Campur Ikan Keli Berlado", 11.0, "rice,fried,spicy",
               "Rice with crispy fried catfish smothered in red chilli berlado, vegetables and "
               "curry"),
            _v("Nasi Campur Daging Masak Hitam", 13.0, "rice,beef",
               "Rice with beef braised in a dark, sweet soy and spice gravy, vegetables and a "
               "salted egg"),
        )),
        "ayam percik": (2, (
            _v("Ayam Percik", 13.0, "grilled,chicken,spicy",
               "Grilled chicken basted again and again with a spiced coconut and chilli "
               "percik sauce"),
        )),
        "lontong": (2, (
            _v("Lontong Kuah Lodeh", 8.0, "breakfast,rice",
               "Compressed rice cakes in a turmeric coconut vegetable stew with sambal, "
               "tempeh and a boiled egg"),
        )),
        "cendol": (4, (
            _v("Cendol Pulut", 6.0, "dessert,vegetarian",
               "Shaved ice with pandan jelly, glutinous rice, coconut milk and gula melaka "
               "syrup"),
            _v("Cendol Durian", 9.0, "dessert,vegetarian",
               "Classic cendol crowned with fresh durian pulp, red beans and dark palm sugar "
               "syrup"),
        )),
        "ais kacang": (3, (
            _v("Ais Kacang", 6.0, "dessert,vegetarian",
               "A mountain of shaved ice with red beans, sweet corn, grass jelly, attap seeds "
               "and rose syrup"),
        )),
        "teh tarik": (5, (
            _TEH_TARIK,
            _v("Teh Tarik Halia", 3.5, "beverage,vegetarian",
               "Frothy pulled milk tea brewed with fresh ginger for a warming kick"),
        )),
        "kuih": (3, (
            _v("Kuih Muih Platter", 6.0, "dessert,breakfast,vegetarian",
               "An assortment of kuih seri muka, kuih lapis, onde-onde and kuih talam made "
               "each morning"),
            _v("Onde-Onde (6 pcs)", 4.0, "dessert,vegetarian,vegan",
               "Pandan glutinous rice balls filled with molten gula melaka and rolled in "
               "grated coconut"),
        )),
        "roti john": (2, (
            _v("Roti John", 8.0, "bread,street food,fried",
               "A long baguette pan-fried with spiced minced beef, egg and onion, drizzled "
               "with chilli and mayonnaise"),
        )),
        "asam pedas": (3, (
            _v("Asam Pedas Ikan Pari", 16.0, "seafood,spicy",
               "Stingray cooked in a sour and spicy tamarind gravy with okra, tomato and "
               "laksa leaves"),
            _v("Asam Pedas Ikan Tenggiri", 17.0, "seafood,spicy",
               "Mackerel steaks in a tangy tamarind and chilli gravy, Melaka style"),
        )),
        "ikan bakar": (3, (
            _v("Ikan Bakar Sambal", 18.0, "grilled,seafood,spicy",
               "Whole fish wrapped in banana leaf and grilled over charcoal with sambal, "
               "served with air asam"),
        )),
    },
    "Chinese": {
        "char kway teow": (8, (
            _v("Char Kway Teow", 9.0, "noodles,seafood,street food",
               "Flat rice noodles wok-fried over high heat with prawns, cockles, bean "
               "sprouts, chives and egg"),
            _v("Char Kway Teow with Duck Egg", 11.0, "noodles,seafood",
               "Smoky wok-fried kway teow with prawns, cockles and a rich duck egg for extra "
               "silkiness"),
            _v("Char Kway Teow with Lap Cheong", 10.0, "noodles,pork,seafood",
               "Penang-style fried flat noodles with Chinese sausage, prawns, bean sprouts "
               "and chilli paste"),
        )),
        "chicken rice": (8, (
            _v("Hainanese Chicken Rice", 9.0, "rice,chicken",
               "Poached chicken with silky skin over fragrant chicken-fat rice, with chilli, "
               "ginger and dark soy"),
            _v("Roasted Chicken Rice", 9.5, "rice,chicken",
               "Honey-roasted chicken with oily rice, clear soup and a tangy garlic chilli "
               "sauce"),
            _v("Chicken Rice Balls Set", 12.0, "rice,chicken",
               "Melaka-style hand-rolled chicken rice balls with steamed chicken, bean "
               "sprouts and chilli"),
        )),
        "dim sum": (6, (
            _v("Har Gow (4 pcs)", 9.0, "seafood",
               "Translucent crystal dumplings packed with whole fresh prawns"),
            _v("Siu Mai (4 pcs)", 8.0, "pork,seafood",
               "Open-topped pork and prawn dumplings finished with orange fish roe"),
            _v("Char Siu Bao (3 pcs)", 7.0, "pork,bread",
               "Fluffy steamed buns filled with sweet barbecued pork"),
            _v("Lo Mai Gai", 7.5, "rice,chicken,pork",
               "Glutinous rice with chicken, mushroom and Chinese sausage steamed in a lotus "
               "leaf"),
            _v("Chee Cheong Fun", 6.0, "breakfast,vegetarian",
               "Silky steamed rice noodle rolls with sweet sauce, chilli and toasted sesame"),
            _v("Egg Tarts (3 pcs)", 6.0, "dessert,vegetarian",
               "Flaky pastry tarts with a wobbly, just-set egg custard"),
        )),
        "wonton mee": (5, (
            _v("Wonton Mee", 9.0, "noodles,pork",
               "Springy egg noodles tossed in dark soy with char siu, choy sum and pork "
               "wontons"),
            _v("Chicken Char Siu Wonton Mee", 10.0, "noodles,chicken,seafood",
               "Egg noodles with honey-glazed chicken char siu, greens and prawn dumplings"),
            _v("Wonton Soup", 8.0, "soup,pork",
               "Plump pork and prawn wontons in a clear anchovy broth with spring onion"),
        )),
        "bak kut teh": (5, (
            _v("Klang Bak Kut Teh", 18.0, "pork,soup",
               "Pork ribs simmered in a dark herbal broth of dang gui, star anise and garlic, "
               "served with youtiao"),
            _v("Dry Bak Kut Teh", 20.0, "pork,spicy",
               "Pork braised with dried chilli, okra and dried squid in a thick, sticky "
               "herbal sauce"),
        )),
        "hokkien mee": (4, (
            _v("KL Hokkien Mee", 12.0, "noodles,pork",
               "Thick yellow noodles braised in dark soy with pork lard crisps, prawns and "
               "cabbage"),
            _v("Penang Hokkien Prawn Mee", 10.0, "noodles,seafood,spicy",
               "Yellow noodles and vermicelli in a deep prawn-head and chilli broth with a "
               "boiled egg"),
        )),
        "claypot chicken rice": (4, (
            _v("Claypot Chicken Rice", 14.0, "rice,chicken",
               "Rice cooked over charcoal in a claypot with soy-marinated chicken, mushrooms "
               "and a crispy base"),
            _v("Claypot Chicken Rice with Salted Fish", 16.0, "rice,chicken,seafood",
               "Charcoal claypot rice with chicken, salted fish and spring onion, finished "
               "with dark soy"),
        )),
        "yong tau foo": (3, (
            _v("Yong Tau Foo (8 pcs)", 11.0, "soup,seafood",
               "Tofu, bitter gourd, okra and chilli stuffed with fish paste, served in clear "
               "soup"),
            _v("Ampang Yong Tau Foo", 12.0, "seafood",
               "Ampang-style stuffed tofu and vegetables with sweet sauce and chilli, dry or "
               "in soup"),
        )),
        "kaya toast": (4, (
            _v("Kaya Butter Toast", 4.0, "breakfast,bread,vegetarian",
               "Charcoal-toasted bread with house-made pandan kaya and a cold slab of butter"),
            _v("Steamed Bread with Kaya", 4.5, "breakfast,bread,vegetarian",
               "Pillowy steamed bread spread with kaya and butter"),
            _v("Kaya Toast Set with Soft-Boiled Eggs", 7.5, "breakfast,vegetarian",
               "Kaya butter toast with two soft-boiled eggs and a cup of kopi or teh"),
        )),
        "curry mee": (3, (
            _v("Curry Mee", 10.0, "noodles,spicy,seafood",
               "Noodles in a spicy coconut curry broth with tofu puffs, long beans, cockles "
               "and chicken"),
            _v("Ipoh White Curry Mee", 10.5, "noodles,spicy,chicken",
               "Ipoh-style white curry mee with shredded chicken, prawns and a spoon of "
               "sambal"),
        )),
        "pan mee": (3, (
            _v("Pan Mee Soup", 9.0, "noodles,soup,pork",
               "Hand-torn flour noodles in anchovy broth with minced pork, mushrooms and sweet "
               "potato leaves"),
            _v("Chilli Pan Mee", 11.0, "noodles,spicy,pork",
               "Springy noodles with minced pork, a poached egg, crispy anchovies and fiery "
               "dried chilli"),
        )),
        "fried rice": (4, (
            _v("Yang Chow Fried Rice", 11.0, "rice,seafood,pork",
               "Wok-fried rice with char siu, shrimp, egg and spring onion"),
            _v("Salted Fish Fried Rice", 12.0, "rice,seafood,chicken",
               "Fried rice with crispy salted fish, diced chicken, egg and lettuce"),
            _v("Egg Fried Rice", 8.0, "rice,vegetarian",
               "Simple fried rice with egg and spring onion, full of wok hei"),
        )),
        "char siu": (4, (
            _v("Char Siu Rice", 10.0, "rice,pork",
               "Caramelised honey barbecued pork over steamed rice with a drizzle of sweet "
               "sauce"),
            _v("Siew Yoke Char Siu Rice", 12.0, "rice,pork",
               "Crackling roast pork belly and char siu over rice with mustard and pickled "
               "chilli"),
            _v("Chicken Char Siu Rice", 10.0, "rice,chicken",
               "Sticky honey-glazed chicken thigh char siu over rice with cucumber and "
               "pickled chilli"),
        )),
        "kopi": (4, (
            _v("Ipoh White Coffee", 4.0, "beverage,vegetarian",
               "Beans roasted in palm-oil margarine, served smooth and milky with condensed "
               "milk"),
            _v("Kopi O", 2.8, "beverage,vegetarian,vegan,gluten free",
               "Strong black kopi brewed through a cloth sock and sweetened with sugar"),
            _v("Kopi Peng", 3.5, "beverage,vegetarian",
               "Iced kopi with evaporated and condensed milk"),
        )),
        "tau fu fa": (2, (_TAU_FU_FA,)),
        "nasi lemak": (3, (
            _v("Nasi Lemak Bungkus", 4.5, "rice,breakfast,street food",
               "A banana-leaf packet of coconut rice, sambal, ikan bilis, peanuts and egg, "
               "kopitiam style"),
            _v("Nasi Lemak Curry Chicken", 11.0, "rice,chicken,spicy",
               "Coconut rice with a ladle of chicken curry, sambal and crispy anchovies"),
        )),
        "hor fun": (3, (
            _v("Ipoh Kai Si Hor Fun", 9.0, "noodles,chicken,soup",
               "Silky Ipoh flat rice noodles in prawn-shell broth with shredded chicken and "
               "prawns"),
            _v("Wat Tan Hor", 11.0, "noodles,seafood",
               "Wok-seared flat noodles under a silky egg gravy with prawns, squid and fish "
               "cake"),
        )),
        "laksa": (2, (
            _v("Curry Laksa", 11.0, "noodles,spicy,seafood",
               "Rich coconut curry laksa with cockles, tofu puffs, long beans and prawns"),
        )),
    },
    "Indian": {
        "roti canai": (9, (
            _v("Roti Canai with Dhal", 3.0, "bread,breakfast,vegetarian",
               "Flaky, buttery flatbread tossed and griddled to order, served with lentil "
               "dhal"),
            _v("Roti Telur", 3.5, "bread,breakfast",
               "Roti canai folded around a beaten egg and onions, with dhal and curry"),
            _v("Roti Bawang", 3.5, "bread,breakfast,vegetarian",
               "Crispy roti studded with chopped onions, served with dhal"),
            _v("Roti Tisu", 5.5, "bread,dessert,vegetarian",
               "A towering cone of paper-thin crispy roti drizzled with condensed milk and "
               "sugar"),
            _v("Roti Planta", 4.0, "bread,breakfast,vegetarian",
               "Roti canai folded with margarine and sugar for a sweet, flaky breakfast"),
        )),
        "nasi kandar": (7, (
            _v("Nasi Kandar Ayam Goreng", 13.0, "rice,chicken,spicy",
               "Steamed rice flooded with mixed curries, fried chicken, okra and a spoon of "
               "sambal"),
            _v("Nasi Kandar Kari Kambing", 16.0, "rice,lamb,spicy",
               "Penang-style nasi kandar with mutton curry, mixed gravy banjir, cabbage and "
               "salted egg"),
            _v("Nasi Kandar Sotong Hitam", 15.0, "rice,seafood,spicy",
               "Rice with squid cooked in its own ink, mixed curry gravy and fried bitter "
               "gourd"),
            _v("Nasi Kandar Ikan Bawal", 14.0, "rice,seafood,spicy",
               "Rice with fried pomfret, dhal, mixed curry gravy and papadum"),
        )),
        "biryani": (6, (
            _v("Chicken Dum Biryani", 15.0, "rice,chicken,spicy",
               "Basmati layered with marinated chicken and sealed to steam, served with raita "
               "and dalca"),
            _v("Mutton Biryani", 19.0, "rice,lamb,spicy",
               "Saffron basmati with tender spiced mutton, fried onions, mint and a boiled "
               "egg"),
            _v("Vegetable Biryani", 11.0, "rice,vegetarian",
               "Basmati rice cooked with mixed vegetables, whole spices, cashews and raisins"),
        )),
        "thosai": (6, (
            _THOSAI_MASALA,
            _v("Thosai Telur", 4.5, "breakfast",
               "Thosai with an egg spread on the griddle, served with coconut chutney and "
               "sambar"),
            _v("Paper Thosai", 6.0, "breakfast,vegetarian",
               "An extra-long, paper-thin thosai with sambar, coconut and tomato chutneys"),
            _v("Rava Thosai", 5.5, "breakfast,vegetarian",
               "Lacy semolina thosai with onions, cumin and curry leaves"),
        )),
        "banana leaf rice": (4, (
            _v("Banana Leaf Rice", 10.0, "rice,vegetarian",
               "Rice on a banana leaf with three vegetables, rasam, papadum, pickles and dhal"),
            _v("Banana Leaf Rice with Fried Chicken", 15.0, "rice,chicken,spicy",
               "Banana leaf rice with crispy spiced fried chicken, vegetables, papadum and "
               "curry"),
            _v("Banana Leaf Rice with Mutton Varuval", 20.0, "rice,lamb,spicy",
               "Banana leaf rice with dry-fried mutton varuval, three vegetables and rasam"),
        )),
        "tandoori chicken": (4, (
            _v("Tandoori Chicken (Half)", 16.0, "grilled,chicken,spicy",
               "Yoghurt and spice-marinated chicken roasted in a clay tandoor, with mint "
               "chutney"),
            _v("Chicken Tikka", 14.0, "grilled,chicken",
               "Boneless chicken pieces marinated overnight and charred in the tandoor"),
        )),
        "butter chicken": (3, (
            _v("Butter Chicken", 16.0, "chicken,gluten free",
               "Tandoori chicken simmered in a velvety tomato, butter and cream gravy"),
            _v("Butter Chicken with Garlic Naan", 20.0, "chicken,bread",
               "Creamy butter chicken served with a blistered garlic naan"),
        )),
        "murtabak": (4, (
            _v("Murtabak Ayam", 9.0, "bread,chicken,fried",
               "Griddled stuffed pancake of spiced minced chicken, egg and onion, with curry "
               "and pickled onions"),
            _v("Murtabak Daging", 10.0, "bread,beef,fried",
               "Crispy murtabak packed with spiced minced beef, egg and onions"),
        )),
        "naan": (3, (
            _v("Cheese Naan", 6.0, "bread,vegetarian",
               "Tandoor-baked naan stuffed with melted cheese"),
            _v("Garlic Naan", 5.0, "bread,vegetarian",
               "Soft naan brushed with garlic butter and fresh coriander"),
        )),
        "mee goreng": (5, (
            _v("Mee Goreng Mamak", 8.0, "noodles,spicy,street food",
               "Yellow noodles fried with potato, tofu, egg and sweet-spicy chilli, finished "
               "with lime"),
            _v("Maggi Goreng", 7.0, "noodles,spicy,street food",
               "Instant noodles wok-fried mamak style with egg, vegetables and chilli"),
            _v("Mee Goreng Sotong", 10.0, "noodles,seafood,spicy",
               "Mamak fried noodles with sambal squid and crispy fritters"),
        )),
        "teh tarik": (6, (
            _TEH_TARIK,
            _v("Teh Tarik Kurang Manis", 3.0, "beverage,vegetarian",
               "Pulled milk tea made less sweet, just the way the regulars order it"),
        )),
        "milo": (3, (
            _v("Milo Dinosaur", 6.0, "beverage,vegetarian",
               "Iced Milo topped with a heap of undissolved Milo powder"),
            _v("Milo Ais", 4.0, "beverage,vegetarian",
               "Iced chocolate malt drink, thick and sweet"),
        )),
        "lassi": (2, (
            _v("Mango Lassi", 7.0, "beverage,vegetarian,gluten free",
               "Chilled yoghurt blended with ripe mango and a pinch of cardamom"),
        )),
        "chapati": (2, (
            _v("Chapati with Dhal", 4.0, "bread,vegetarian,vegan",
               "Soft whole-wheat flatbread cooked on a dry griddle, served with dhal"),
        )),
        "vadai": (2, (
            _v("Vadai Set (3 pcs)", 4.0, "fried,vegetarian,vegan",
               "Crunchy lentil fritters with green chilli, onion and curry leaves"),
        )),
        "idli": (2, (
            _v("Idli with Sambar (3 pcs)", 5.0, "breakfast,vegetarian,vegan",
               "Soft steamed rice and lentil cakes with sambar and coconut chutney"),
        )),
    },
    "Nyonya": {
        "laksa": (8, (
            _v("Nyonya Curry Laksa", 13.0, "noodles,spicy,seafood",
               "Rempah-rich coconut curry laksa with prawns, cockles, tofu puffs and a boiled "
               "egg"),
            _v("Penang Asam Laksa", 10.0, "noodles,spicy,seafood",
               "Thick rice noodles in a sour tamarind and mackerel broth with torch ginger, "
               "mint and hae ko"),
            _v("Laksa Lemak", 13.0, "noodles,spicy,seafood",
               "Rice noodles in a rich coconut laksa broth with prawns, fish cake and laksa "
               "leaves"),
        )),
        "ayam pongteh": (3, (
            _v("Ayam Pongteh", 18.0, "chicken",
               "Chicken and potatoes braised with fermented soybean paste and gula melaka "
               "until glossy"),
        )),
        "otak-otak": (4, (
            _v("Grilled Otak-Otak", 10.0, "grilled,seafood,spicy",
               "Spiced fish custard wrapped in coconut leaves and grilled over charcoal"),
            _v("Steamed Otak-Otak", 12.0, "seafood,spicy",
               "Penang-style fish custard steamed in banana leaf with daun kaduk"),
        )),
        "nasi lemak": (4, (
            _v("Nyonya Nasi Lemak", 13.0, "rice,chicken,spicy",
               "Blue pea flower coconut rice with curry chicken, sambal and Nyonya achar"),
            _v("Nasi Lemak Sambal Udang", 15.0, "rice,seafood,spicy",
               "Coconut rice with prawns in sambal belacan, Nyonya achar and a boiled egg"),
        )),
        "cendol": (5, (
            _v("Gula Melaka Cendol", 7.0, "dessert,vegetarian",
               "Green pandan jelly, red beans and coconut milk over shaved ice with Melaka "
               "palm sugar"),
            _v("Durian Cendol", 10.0, "dessert,vegetarian",
               "Gula melaka cendol topped with a generous scoop of fresh durian"),
        )),
        "kuih": (4, (
            _v("Nyonya Kuih Platter", 10.0, "dessert,vegetarian",
               "A selection of kuih lapis, seri muka, ang ku kueh and pulut tai tai"),
            _v("Pulut Tai Tai", 6.0, "dessert,vegetarian",
               "Blue-streaked glutinous rice cakes served with rich egg and pandan kaya"),
        )),
        "asam pedas": (4, (
            _v("Nyonya Asam Pedas Fish", 22.0, "seafood,spicy",
               "Fish and okra in a sour tamarind and chilli gravy scented with torch ginger"),
        )),
        "kari kapitan": (3, (
            _v("Chicken Curry Kapitan", 18.0, "chicken,spicy",
               "Penang Nyonya chicken curry with candlenut, lime leaf and coconut, served "
               "with roti jala"),
        )),
        "pie tee": (3, (
            _v("Pie Tee (6 pcs)", 12.0, "seafood,fried,street food",
               "Crisp top-hat pastry cups filled with braised jicama, prawn and chilli sauce"),
        )),
        "babi pongteh": (2, (
            _v("Babi Pongteh", 20.0, "pork",
               "Pork belly braised with taucu, shallots and gula melaka, served with rice"),
        )),
        "jiu hu char": (2, (
            _v("Jiu Hu Char", 14.0, "seafood",
               "Stir-fried shredded jicama, carrot and dried cuttlefish, eaten in lettuce "
               "cups with sambal"),
        )),
        "chap chye": (2, (
            _v("Nyonya Chap Chye", 12.0, "vegetarian",
               "Braised cabbage, glass noodles, black fungus and tofu skin in fermented bean "
               "paste"),
        )),
        "ayam buah keluak": (2, (
            _v("Ayam Buah Keluak", 24.0, "chicken,spicy",
               "The Peranakan classic of chicken braised in tamarind gravy with black keluak "
               "nuts"),
        )),
        "nasi ulam": (2, (
            _v("Nasi Ulam", 12.0, "rice,seafood",
               "Rice tossed with finely shredded fresh herbs, kerisik and salted fish"),
        )),
    },
    "Thai": {
        "tom yum": (8, (
            _v("Tom Yum Goong", 18.0, "soup,spicy,seafood",
               "Hot and sour prawn soup with lemongrass, galangal, kaffir lime leaves and "
               "chilli"),
            _TOM_YUM_SEAFOOD,
            _v("Tom Yum Chicken", 15.0, "soup,spicy,chicken",
               "Creamy red tom yum with chicken, straw mushrooms and a squeeze of lime"),
            _v("Tom Yum Fried Rice", 12.0, "rice,spicy,seafood",
               "Fried rice tossed with tom yum paste, prawns and kaffir lime leaves"),
        )),
        "pad thai": (8, (
            _v("Pad Thai with Prawns", 16.0, "noodles,seafood",
               "Rice noodles stir-fried with tamarind, prawns, tofu, egg, bean sprouts and "
               "crushed peanuts"),
            _v("Chicken Pad Thai", 14.0, "noodles,chicken",
               "Tamarind-glazed rice noodles with chicken, egg, chives and roasted peanuts"),
            _v("Tofu Pad Thai", 13.0, "noodles,vegetarian",
               "Vegetarian pad thai with firm tofu, egg, chives and roasted peanuts"),
        )),
        "green curry": (6, (
            _v("Green Curry Chicken", 16.0, "chicken,spicy,gluten free",
               "Chicken and Thai eggplant simmered in a fragrant green curry with sweet "
               "basil"),
            _v("Green Curry Beef", 18.0, "beef,spicy,gluten free",
               "Tender beef in green curry with pea eggplants, bamboo shoots and kaffir lime"),
        )),
        "som tam": (4, (
            _v("Som Tam", 10.0, "spicy,gluten free",
               "Shredded green papaya pounded with lime, chilli, fish sauce, tomato and "
               "peanuts"),
            _v("Som Tam Thai with Dried Shrimp", 11.0, "spicy,seafood,gluten free",
               "Green papaya salad with dried shrimp, long beans, palm sugar and lime"),
        )),
        "mango sticky rice": (4, (
            _v("Mango Sticky Rice", 12.0, "dessert,vegetarian,gluten free",
               "Sweet coconut sticky rice with ripe mango slices and salted coconut cream"),
        )),
        "pad kra pao": (5, (
            _v("Pad Kra Pao Chicken with Fried Egg", 13.0, "rice,chicken,spicy",
               "Minced chicken fired with holy basil and chilli over rice, topped with a "
               "crispy fried egg"),
            _v("Pad Kra Pao Minced Beef", 15.0, "rice,beef,spicy",
               "Minced beef stir-fried with holy basil, garlic and bird's eye chilli over "
               "rice"),
        )),
        "tom kha": (3, (
            _v("Tom Kha Gai", 15.0, "soup,chicken,gluten free",
               "Creamy coconut soup with chicken, galangal, mushrooms and lime"),
        )),
        "thai iced tea": (3, (
            _v("Cha Yen (Thai Iced Tea)", 6.0, "beverage,vegetarian",
               "Strong spiced Thai tea over ice with evaporated and condensed milk"),
        )),
        "pineapple fried rice": (3, (
            _v("Pineapple Fried Rice", 14.0, "rice,seafood",
               "Fried rice with pineapple, prawns, cashews and raisins, served in a pineapple "
               "boat"),
        )),
        "larb": (2, (
            _v("Larb Gai", 13.0, "chicken,spicy,gluten free",
               "Minced chicken salad with lime, chilli, mint and toasted rice powder"),
        )),
        "pandan chicken": (3, (
            _v("Pandan Chicken (5 pcs)", 14.0, "chicken,fried",
               "Marinated chicken wrapped in pandan leaves and deep-fried until fragrant"),
        )),
        "steamed fish": (3, (
            _v("Pla Neung Manao", 38.0, "seafood,spicy,gluten free",
               "Whole seabass steamed in a sharp lime, garlic and chilli broth"),
        )),
    },
    "Japanese": {
        "ramen": (8, (
            _v("Tonkotsu Ramen", 26.0, "noodles,soup,pork",
               "Rich, creamy pork bone broth with thin noodles, chashu, ajitama egg and black "
               "garlic oil"),
            _v("Shoyu Ramen", 24.0, "noodles,soup,chicken",
               "Clear soy-seasoned chicken broth with wavy noodles, chicken chashu, menma and "
               "nori"),
            _v("Spicy Miso Ramen", 25.0, "noodles,soup,spicy",
               "Hokkaido-style miso broth with chilli oil, minced chicken, corn and butter"),
            _v("Chicken Paitan Ramen", 24.0, "noodles,soup,chicken",
               "Creamy chicken paitan broth with chicken chashu, ajitama and spring onion"),
        )),
        "sushi": (8, (
            _v("Salmon Nigiri (2 pcs)", 9.0, "seafood,rice",
               "Hand-pressed sushi rice topped with fresh Norwegian salmon"),
            _v("Assorted Sushi Set", 42.0, "seafood,rice",
               "Chef's selection of eight nigiri with a tuna maki roll and miso soup"),
            _v("California Roll", 16.0, "seafood,rice",
               "Inside-out roll of crab stick, avocado, cucumber and tobiko"),
            _v("Unagi Roll", 22.0, "seafood,rice",
               "Grilled eel and cucumber roll glazed with sweet kabayaki sauce"),
            _v("Aburi Salmon Mentai Roll", 20.0, "seafood,rice",
               "Torched salmon over a maki roll with creamy mentaiko mayonnaise"),
            _v("Avocado Maki", 10.0, "rice,vegetarian,vegan",
               "A simple seaweed roll of creamy avocado and sushi rice"),
        )),
        "tempura": (4, (
            _v("Ebi Tempura", 22.0, "seafood,fried",
               "Lightly battered tiger prawns fried crisp, with tentsuyu and grated radish"),
            _v("Vegetable Tempura", 14.0, "vegetarian,fried",
               "Sweet potato, pumpkin, eggplant and shiitake in a feather-light batter"),
        )),
        "udon": (4, (
            _v("Kitsune Udon", 16.0, "noodles,soup",
               "Thick udon in hot dashi broth with sweet fried tofu and spring onion"),
            _v("Niku Udon", 22.0, "noodles,beef,soup",
               "Udon in dashi topped with thinly sliced beef simmered in sweet soy"),
            _v("Curry Udon", 19.0, "noodles,chicken,spicy",
               "Chewy udon in a Japanese curry broth with chicken and onions"),
        )),
        "donburi": (4, (
            _v("Chicken Teriyaki Don", 18.0, "rice,chicken",
               "Grilled chicken thigh glazed with teriyaki over rice with shredded nori"),
            _v("Gyudon", 20.0, "rice,beef",
               "Sliced beef and onion simmered in sweet soy dashi over rice with an onsen egg"),
            _v("Salmon Ikura Don", 38.0, "rice,seafood",
               "Sushi rice topped with fresh salmon sashimi and glistening salmon roe"),
            _v("Oyakodon", 17.0, "rice,chicken",
               "Chicken and egg simmered in dashi and poured over steamed rice"),
        )),
        "katsu curry": (4, (
            _v("Chicken Katsu Curry", 22.0, "rice,chicken,fried",
               "Panko-crumbed chicken cutlet with Japanese curry sauce, rice and pickles"),
            _v("Tonkatsu Curry", 24.0, "rice,pork,fried",
               "Crisp pork loin cutlet with rich Japanese curry and steamed rice"),
        )),
        "sashimi": (3, (
            _v("Salmon Sashimi (5 pcs)", 28.0, "seafood",
               "Thick-cut slices of fresh salmon belly with wasabi and pickled ginger"),
            _v("Sashimi Moriawase", 68.0, "seafood",
               "The chef's daily selection of tuna, salmon, yellowtail and scallop sashimi"),
        )),
        "gyoza": (3, (
            _v("Pan-Fried Pork Gyoza (6 pcs)", 12.0, "pork,fried",
               "Crisp-bottomed dumplings of pork, cabbage and garlic chives"),
            _v("Chicken Gyoza (6 pcs)", 12.0, "chicken,fried",
               "Pan-fried chicken and cabbage dumplings with a vinegar soy dip"),
        )),
        "matcha dessert": (3, (
            _v("Matcha Warabi Mochi", 12.0, "dessert,vegetarian,vegan",
               "Wobbly bracken-starch mochi dusted with matcha and kinako, with kuromitsu"),
            _v("Matcha Soft Serve", 9.0, "dessert,vegetarian",
               "Uji matcha soft serve ice cream in a crisp cone"),
        )),
        "takoyaki": (3, (
            _v("Takoyaki (6 pcs)", 10.0, "seafood,street food",
               "Osaka-style octopus balls with okonomi sauce, mayonnaise and bonito flakes"),
        )),
        "green tea": (2, (
            _v("Hot Genmaicha", 3.0, "beverage,vegetarian,vegan,gluten free",
               "Free-flowing hot green tea blended with toasted brown rice"),
        )),
    },
    "Korean": {
        "bibimbap": (8, (
            _v("Dolsot Bibimbap", 22.0, "rice,beef,spicy",
               "Rice in a sizzling stone pot with seasoned vegetables, beef, egg and "
               "gochujang, with a crispy crust"),
            _v("Beef Bibimbap", 24.0, "rice,beef",
               "Steamed rice topped with bulgogi beef, namul vegetables and a fried egg"),
            _v("Vegetable Bibimbap", 19.0, "rice,vegetarian,spicy",
               "Rice with spinach, bean sprouts, carrot, mushroom, zucchini and gochujang"),
        )),
        "korean fried chicken": (6, (
            _v("Yangnyeom Chicken (Half)", 32.0, "chicken,fried,spicy",
               "Double-fried chicken glazed in sweet and spicy gochujang sauce"),
            _v("Soy Garlic Fried Chicken (Half)", 32.0, "chicken,fried",
               "Extra-crispy double-fried chicken brushed with soy garlic glaze"),
            _v("Honey Butter Fried Chicken (Half)", 30.0, "chicken,fried",
               "Crunchy fried chicken tossed in honey butter and sesame"),
        )),
        "kimchi jjigae": (5, (
            _v("Pork Kimchi Jjigae", 20.0, "soup,spicy,pork",
               "A bubbling stew of aged kimchi, pork belly and tofu, served with rice"),
            _v("Tuna Kimchi Jjigae", 20.0, "soup,spicy,seafood",
               "Aged kimchi stew with tuna, tofu and spring onion, served with rice"),
        )),
        "tteokbokki": (5, (
            _v("Tteokbokki", 15.0, "spicy,street food",
               "Chewy rice cakes and fish cakes simmered in a sweet and spicy gochujang sauce"),
            _v("Cheese Tteokbokki", 18.0, "spicy,street food",
               "Spicy rice cakes blanketed in melted mozzarella"),
            _v("Rabokki", 18.0, "noodles,spicy,street food",
               "Rice cakes and ramyeon noodles in a spicy gochujang broth with a boiled egg"),
        )),
        "bulgogi": (5, (
            _v("Beef Bulgogi", 28.0, "beef",
               "Thinly sliced beef marinated in pear, soy and sesame, seared with onions"),
            _v("Bulgogi Rice Bowl", 20.0, "beef,rice",
               "Sweet soy bulgogi beef over rice with kimchi and pickled radish"),
            _v("Spicy Pork Bulgogi", 24.0, "pork,spicy",
               "Pork shoulder stir-fried in a fiery gochujang marinade with onions"),
        )),
        "japchae": (3, (
            _v("Japchae", 18.0, "noodles,beef",
               "Glass noodles stir-fried with beef, spinach, carrot, mushroom and sesame oil"),
        )),
        "korean bbq": (4, (
            _v("Samgyeopsal Set", 58.0, "pork,grilled",
               "Thick pork belly grilled at the table with lettuce wraps, ssamjang and "
               "banchan"),
            _v("Marinated Beef Galbi Set", 78.0, "beef,grilled",
               "Sweet soy-marinated beef short ribs grilled at the table with banchan"),
            _v("Dak Galbi", 45.0, "chicken,spicy",
               "Spicy chicken, cabbage, sweet potato and rice cakes stir-fried on a hot plate"),
        )),
        "sundubu jjigae": (3, (
            _v("Seafood Sundubu Jjigae", 20.0, "soup,spicy,seafood",
               "Silken tofu stew with clams, prawns and an egg in a fiery chilli broth"),
        )),
        "kimbap": (3, (
            _v("Tuna Mayo Kimbap", 12.0, "rice,seafood",
               "Seaweed rice rolls filled with tuna mayonnaise, pickled radish and egg"),
            _v("Vegetable Kimbap", 10.0, "rice,vegetarian",
               "Seaweed rice rolls with spinach, carrot, egg and pickled radish"),
        )),
        "bingsu": (3, (
            _v("Injeolmi Bingsu", 22.0, "dessert,vegetarian",
               "Milk snow flakes with roasted soybean powder, rice cakes and almonds"),
            _v("Mango Bingsu", 24.0, "dessert,vegetarian",
               "Milk snow flakes piled with fresh mango and condensed milk"),
        )),
        "pajeon": (3, (
            _v("Haemul Pajeon", 25.0, "seafood,fried",
               "Crisp seafood and spring onion pancake with a soy vinegar dip"),
            _v("Kimchi Jeon", 18.0, "fried,spicy",
               "A crisp, tangy pancake of aged kimchi and spring onion"),
        )),
    },
    "Western": {
        "burger": (8, (
            _v("Classic Beef Burger", 22.0, "beef,bread",
               "Grilled beef patty with cheddar, lettuce, tomato and house sauce, with fries"),
            _v("Double Cheeseburger", 28.0, "beef,bread",
               "Two smashed beef patties, double cheese, pickles and onions in a soft bun"),
            _v("Crispy Chicken Burger", 20.0, "chicken,fried,bread",
               "Buttermilk fried chicken thigh with slaw and spicy mayonnaise"),
            _v("Mushroom Swiss Burger", 24.0, "beef,bread",
               "Beef patty topped with sautéed mushrooms and melted Swiss cheese"),
            _v("Ramly Burger", 7.0, "beef,street food",
               "The late-night street classic of a beef patty wrapped in egg with chilli and "
               "mayonnaise"),
            _PORTOBELLO_BURGER,
        )),
        "pizza": (7, (
            _v("Margherita Pizza", 32.0, "vegetarian",
               "Wood-fired pizza with San Marzano tomato, fior di latte and fresh basil"),
            _v("Pepperoni Pizza", 38.0, "pork",
               "Thin-crust pizza loaded with spicy pork pepperoni and mozzarella"),
            _v("Beef Pepperoni Pizza", 38.0, "beef",
               "Thin-crust pizza with beef pepperoni, mozzarella and oregano"),
            _v("Sambal Prawn Pizza", 42.0, "seafood,spicy",
               "A local twist of prawns in sambal with mozzarella and red onion"),
            _v("Chicken Rendang Pizza", 38.0, "chicken,spicy",
               "Wood-fired pizza topped with chicken rendang, mozzarella and crispy shallots"),
        )),
        "pasta": (6, (
            _v("Spaghetti Carbonara", 26.0, "beef",
               "Spaghetti in a creamy egg and parmesan sauce with smoked beef bacon"),
            _v("Aglio Olio Prawns", 28.0, "seafood,spicy",
               "Spaghetti tossed with garlic, olive oil, chilli flakes and tiger prawns"),
            _v("Beef Bolognese", 26.0, "beef",
               "Slow-cooked beef ragù over spaghetti with grated parmesan"),
            _v("Creamy Mushroom Fettuccine", 24.0, "vegetarian",
               "Fettuccine in a creamy sauce of wild mushrooms, garlic and thyme"),
            _v("Salted Egg Chicken Pasta", 27.0, "chicken,fried",
               "Crispy chicken and spaghetti tossed in a rich salted egg yolk sauce"),
        )),
        "fish and chips": (5, (
            _v("Fish and Chips", 26.0, "seafood,fried",
               "Crisp battered fish fillet with chunky fries, tartare sauce and mushy peas"),
            _v("Dory Fish and Chips", 22.0, "seafood,fried",
               "Golden battered dory with fries, coleslaw and lemon"),
        )),
        "steak": (4, (
            _v("Ribeye Steak (300g)", 98.0, "beef,grilled,gluten free",
               "Grain-fed ribeye grilled to order, with roasted potatoes and peppercorn sauce"),
            _v("Sirloin Steak (250g)", 78.0, "beef,grilled",
               "Chargrilled sirloin with fries, salad and mushroom sauce"),
            _v("Wagyu Striploin (200g)", 148.0, "beef,grilled",
               "Marbled wagyu striploin seared over charcoal, with garlic butter"),
        )),
        "chicken chop": (5, (
            _v("Chicken Chop with Black Pepper Sauce", 17.0, "chicken,grilled",
               "Grilled chicken thigh with black pepper sauce, fries, coleslaw and baked "
               "beans"),
            _v("Crispy Chicken Chop", 16.0, "chicken,fried",
               "Breaded chicken thigh fried golden with mushroom sauce, fries and salad"),
        )),
        "lamb chop": (3, (
            _v("Grilled Lamb Chop", 32.0, "lamb,grilled",
               "Rosemary-marinated lamb chops with mint sauce, mashed potato and vegetables"),
        )),
        "caesar salad": (3, (
            _v("Chicken Caesar Salad", 22.0, "chicken",
               "Romaine, grilled chicken, croutons and parmesan in a creamy Caesar dressing"),
        )),
        "all-day breakfast": (3, (
            _v("Big Breakfast", 28.0, "breakfast",
               "Eggs your way, chicken sausages, beef bacon, hash brown, beans and toast"),
            _v("Eggs Benedict", 24.0, "breakfast,bread",
               "Poached eggs and hollandaise on toasted English muffins with smoked beef"),
            _v("Avocado Toast", 20.0, "breakfast,vegetarian,bread",
               "Smashed avocado on sourdough with feta, chilli flakes and a poached egg"),
        )),
        "cheesecake": (3, (
            _v("Burnt Basque Cheesecake", 16.0, "dessert,vegetarian",
               "A creamy, barely set cheesecake with a deeply caramelised top"),
            _v("Pandan Gula Melaka Cheesecake", 17.0, "dessert,vegetarian",
               "Baked pandan cheesecake with a drizzle of gula melaka syrup"),
        )),
        "coffee": (4, (
            _v("Flat White", 11.0, "beverage,vegetarian",
               "A double ristretto with velvety steamed milk"),
            _v("Iced Latte", 12.0, "beverage,vegetarian",
               "Espresso over cold milk and ice"),
            _v("Long Black", 9.0, "beverage,vegetarian,vegan,gluten free",
               "A double shot of espresso pulled over hot water"),
        )),
        "mushroom soup": (3, (
            _v("Cream of Mushroom Soup", 12.0, "soup,vegetarian",
               "Velvety mushroom soup with a swirl of cream and garlic bread"),
        )),
    },
    "Middle Eastern": {
        "shawarma": (7, (
            _v("Chicken Shawarma Wrap", 14.0, "chicken,street food,bread",
               "Spit-roasted chicken with garlic toum, pickles and fries wrapped in flatbread"),
            _v("Beef Shawarma Plate", 24.0, "beef",
               "Shaved spiced beef with rice, hummus, salad and tahini sauce"),
        )),
        "mandi rice": (6, (
            _v("Lamb Mandi", 38.0, "rice,lamb",
               "Slow-roasted lamb on smoky, spiced Yemeni rice with tomato chutney"),
            _v("Chicken Mandi", 26.0, "rice,chicken",
               "Tender roast chicken on fragrant mandi rice with raisins and fried almonds"),
        )),
        "kebab": (5, (
            _v("Shish Tawook", 24.0, "chicken,grilled",
               "Yoghurt and garlic-marinated chicken skewers grilled over charcoal"),
            _v("Adana Kebab", 28.0, "lamb,grilled,spicy",
               "Hand-minced spiced lamb skewers with grilled peppers and flatbread"),
            _v("Mixed Grill Platter", 68.0, "grilled,lamb,chicken",
               "Lamb kofta, shish tawook and lamb chops with rice, salad and dips"),
        )),
        "falafel": (4, (
            _v("Falafel Wrap", 14.0, "vegetarian,vegan,bread",
               "Crisp chickpea falafel with tahini, pickles and salad in warm flatbread"),
            _v("Falafel Plate", 18.0, "vegetarian,vegan,fried",
               "Six falafel with hummus, tabbouleh, pickled turnips and pita"),
        )),
        "hummus": (4, (
            _v("Hummus with Pita", 14.0, "vegetarian,vegan,bread",
               "Silky chickpea and tahini dip with olive oil, paprika and warm pita"),
            _v("Hummus with Spiced Lamb", 22.0, "lamb",
               "Hummus topped with sizzling spiced minced lamb and pine nuts"),
        )),
        "kunafa": (3, (
            _v("Kunafa", 18.0, "dessert,vegetarian",
               "Crisp shredded pastry over melted cheese, soaked in orange blossom syrup"),
        )),
        "mint tea": (3, (
            _v("Moroccan Mint Tea", 6.0, "beverage,vegetarian,vegan,gluten free",
               "Green tea brewed with fresh mint and poured from a height"),
        )),
        "kabsa": (4, (
            _v("Lamb Kabsa", 36.0, "rice,lamb",
               "Saudi-style spiced rice with tender lamb, tomato and dried lime"),
            _v("Chicken Kabsa", 26.0, "rice,chicken",
               "Fragrant kabsa rice with roast chicken, almonds and daqoos sauce"),
        )),
        "salad": (3, (
            _v("Fattoush", 14.0, "vegetarian,vegan",
               "Crunchy salad of cucumber, tomato, radish and toasted pita with sumac dressing"),
            _v("Tabbouleh", 13.0, "vegetarian,vegan",
               "Finely chopped parsley, mint, tomato and bulgur with lemon and olive oil"),
        )),
        "mezze": (3, (
            _v("Baba Ganoush", 14.0, "vegetarian,vegan,gluten free",
               "Smoky charred eggplant whipped with tahini, garlic and lemon"),
            _v("Mezze Platter", 32.0, "vegetarian,bread",
               "Hummus, baba ganoush, labneh, falafel, olives and warm pita to share"),
        )),
    },
    "Vegetarian": {
        "nasi lemak": (6, (
            _v("Vegetarian Nasi Lemak", 9.0, "rice,vegetarian",
               "Coconut rice with mock anchovies, peanuts, cucumber and a mushroom sambal"),
            _v("Vegan Nasi Lemak with Tempeh Sambal", 10.0, "rice,vegetarian,vegan",
               "Coconut rice with crispy tempeh in sambal, peanuts, cucumber and achar"),
        )),
        "laksa": (4, (
            _v("Vegetarian Curry Laksa", 10.0, "noodles,vegetarian,spicy",
               "Coconut curry laksa with tofu puffs, mock fish balls, long beans and mint"),
        )),
        "fried rice": (4, (
            _v("Vegetarian Fried Rice", 8.0, "rice,vegetarian",
               "Wok-fried rice with mixed vegetables, egg and crispy mock char siu"),
            _v("Olive Fried Rice", 10.0, "rice,vegetarian,vegan",
               "Fried rice with preserved olive leaves, long beans and cashews"),
        )),
        "mee goreng": (4, (
            _v("Vegetarian Mee Goreng", 8.0, "noodles,vegetarian,spicy",
               "Yellow noodles fried with tofu, potato, cabbage and chilli paste"),
        )),
        "yong tau foo": (4, (
            _v("Vegetarian Yong Tau Foo", 10.0, "soup,vegetarian,vegan",
               "Tofu and vegetables stuffed with a mushroom and yam filling, in clear soup"),
        )),
        "buddha bowl": (4, (
            _v("Quinoa Buddha Bowl", 18.0, "vegetarian,vegan,gluten free",
               "Quinoa with roasted pumpkin, chickpeas, kale, avocado and tahini dressing"),
        )),
        "mock meat rice": (4, (
            _v("Mock Char Siu Rice", 9.0, "rice,vegetarian",
               "Honey-glazed gluten char siu over rice with cucumber and sweet sauce"),
            _v("Mock Chicken Rice", 9.0, "rice,vegetarian",
               "Soy protein 'chicken' with fragrant ginger rice and chilli sauce"),
        )),
        "lei cha": (4, (
            _v("Hakka Lei Cha", 11.0, "rice,vegetarian,vegan",
               "Brown rice with chopped greens, peanuts and tofu, with a pounded herb and tea "
               "soup"),
        )),
        "herbal soup": (3, (
            _v("Vegetarian Bak Kut Teh", 14.0, "soup,vegetarian,vegan",
               "Herbal broth with mushrooms, tofu puffs and bean curd skin simmered with "
               "dang gui"),
        )),
        "burger": (3, (
            _v("Vegan Mushroom Burger", 18.0, "vegetarian,vegan,bread",
               "Plant-based patty with grilled mushrooms, vegan mayonnaise and lettuce"),
            _PORTOBELLO_BURGER,
        )),
        "thosai": (3, (_THOSAI_MASALA,)),
        "soy milk": (3, (
            _v("Fresh Soy Milk", 3.0, "beverage,vegetarian,vegan",
               "Soy milk ground and boiled fresh every morning, lightly sweetened"),
        )),
        "tau fu fa": (2, (_TAU_FU_FA,)),
        "economy rice": (4, (
            _v("Vegetarian Economy Rice", 7.0, "rice,vegetarian",
               "Rice with your pick of three vegetable and mock-meat dishes from the counter"),
        )),
    },
    "Seafood": {
        "chilli crab": (6, (
            _v("Chilli Crab", 88.0, "seafood,spicy",
               "Mud crab wok-tossed in a sweet, tangy tomato-chilli gravy, made for mopping "
               "up with mantou"),
            _v("Black Pepper Crab", 88.0, "seafood,spicy",
               "Mud crab fried with coarse black pepper, butter and curry leaves"),
            _v("Salted Egg Crab", 92.0, "seafood",
               "Crab coated in a rich, sandy salted egg yolk sauce"),
        )),
        "butter prawns": (5, (
            _v("Butter Prawns", 45.0, "seafood,fried",
               "Crispy prawns tossed in butter, curry leaves and fluffy egg floss"),
            _v("Salted Egg Prawns", 48.0, "seafood,fried",
               "Deep-fried prawns coated in salted egg yolk with curry leaves and chilli"),
        )),
        "steamed fish": (5, (
            _v("Teochew Steamed Pomfret", 68.0, "seafood",
               "Whole pomfret steamed with salted vegetable, sour plum, tomato and ginger"),
            _v("Steamed Tilapia with Ginger and Soy", 38.0, "seafood",
               "Whole tilapia steamed with ginger and spring onion under hot soy sauce"),
        )),
        "ikan bakar": (6, (
            _v("Ikan Bakar Pari", 25.0, "grilled,seafood,spicy",
               "Stingray wing grilled in banana leaf with sambal, served with air asam"),
            _v("Ikan Bakar Kembung", 18.0, "grilled,seafood,spicy",
               "Whole chubb mackerel grilled with turmeric and chilli paste"),
        )),
        "sambal lala": (4, (
            _v("Lala Masak Sambal", 22.0, "seafood,spicy",
               "Fresh clams stir-fried in sambal with bird's eye chilli and ginger"),
            _v("Kam Heong Lala", 24.0, "seafood,spicy",
               "Clams wok-fried with curry leaves, dried shrimp and chilli"),
        )),
        "oyster omelette": (4, (
            _v("Oyster Omelette (Oh Chien)", 18.0, "seafood,fried,street food",
               "Plump oysters fried with egg and a starchy batter until crisp at the edges"),
        )),
        "fried squid": (4, (
            _v("Sotong Goreng Tepung", 20.0, "seafood,fried",
               "Battered squid rings fried crisp and served with sweet chilli sauce"),
        )),
        "fried rice": (4, (
            _v("Seafood Fried Rice", 16.0, "rice,seafood",
               "Fried rice with prawns, squid, egg and crab meat"),
        )),
        "mantou": (3, (
            _v("Fried Mantou (6 pcs)", 6.0, "bread,vegetarian,fried",
               "Golden fried buns for mopping up crab gravy, with condensed milk on the side"),
        )),
        "lime juice": (3, (
            _v("Fresh Lime Juice", 4.0, "beverage,vegetarian,vegan,gluten free",
               "Freshly squeezed calamansi lime over ice with a touch of syrup"),
        )),
        "tom yum": (3, (_TOM_YUM_SEAFOOD,)),
    },
}

_EXTRA_SUFFIXES = ("Set", "(Large)", "Combo", "(Family Size)", "Special")


# --- generation -----------------------------------------------------------------------------

def generate_demo_catalog(
    restaurant_count: int = 240, dishes_per_restaurant: int = 10
) -> tuple[list[dict], list[dict]]:
    """Return ``(restaurants, dishes)`` as plain dicts; the same output on every call."""
    if restaurant_count < 0 or dishes_per_restaurant < 0:
        raise ValueError("restaurant_count and dishes_per_restaurant must not be negative")
    rng = random.Random(DEMO_SEED)
    used_slugs: set[str] = set()
    restaurants: list[dict] = []
    dishes: list[dict] = []
    for index in range(restaurant_count):
        # every city at least once before the weighted draw takes over
        city = _CITIES[index] if index < len(_CITIES) else _pick_city(rng)
        restaurant, menu_plan = _make_restaurant(rng, city, used_slugs)
        restaurants.append(restaurant)
        dishes.extend(_make_menu(restaurant, menu_plan, dishes_per_restaurant))
    return restaurants, dishes


@dataclass(frozen=True)
class _MenuPlan:
    slug: str
    pool: dict[str, tuple[float, tuple[_Variant, ...]]]
    halal: bool
    promised_type: str | None


def _pick_city(rng: random.Random) -> _City:
    return rng.choices(_CITIES, weights=[c.weight for c in _CITIES])[0]


def _pick_cuisines(rng: random.Random, city: _City) -> list[str]:
    bias = dict(city.cuisine_bias)
    names = list(_CUISINE_WEIGHTS)
    weights = [_CUISINE_WEIGHTS[n] * bias.get(n, 1.0) for n in names]
    first = rng.choices(names, weights=weights)[0]
    if rng.random() < 0.3:
        return [first, rng.choice(_SECOND_CUISINES[first])]
    return [first]


def _allowed(variant: _Variant, halal: bool, vegetarian: bool) -> bool:
    if halal and "pork" in variant.tags:
        return False
    return not (vegetarian and "vegetarian" not in variant.tags)


@functools.lru_cache(maxsize=256)
def _menu_pool(
    cuisines: tuple[str, ...], halal: bool, vegetarian: bool
) -> dict[str, tuple[float, tuple[_Variant, ...]]]:
    """Dish types the restaurant may serve, weighted; the second cuisine counts less.

    Cached and shared between restaurants: callers only read it.
    """
    weights: dict[str, float] = {}
    variants: dict[str, list[_Variant]] = {}
    for rank, cuisine in enumerate(cuisines):
        factor = 1.0 if rank == 0 else 0.6
        for dish_type, (weight, options) in _MENUS[cuisine].items():
            allowed = [v for v in options if _allowed(v, halal, vegetarian)]
            if not allowed:
                continue
            weights[dish_type] = weights.get(dish_type, 0.0) + weight * factor
            known = variants.setdefault(dish_type, [])
            known.extend(v for v in allowed if v not in known)
    return {t: (weights[t], tuple(variants[t])) for t in weights}


def _make_restaurant(
    rng: random.Random, city: _City, used_slugs: set[str]
) -> tuple[dict, _MenuPlan]:
    cuisines = _pick_cuisines(rng, city)
    first = cuisines[0]
    vegetarian = "Vegetarian" in cuisines
    halal = not vegetarian and rng.random() < _HALAL_CHANCE[first]
    pool = _menu_pool(tuple(cuisines), halal, vegetarian)
    name_cuisine = "Vegetarian" if vegetarian else first
    name, promised_type = _restaurant_name(rng, name_cuisine, pool, city, used_slugs)
    slug = _slugify(name)
    used_slugs.add(slug)
    price_range = rng.choices((1, 2, 3, 4), weights=_PRICE_RANGE_WEIGHTS[first])[0]
    street, area, postal = rng.choice(city.streets)
    postal_code = "".join(str(rng.randint(0, 9)) if ch == "*" else ch for ch in postal)
    restaurant = {
        "id": str(uuid.uuid5(DEMO_NAMESPACE, f"restaurant:{slug}")),
        "name": name,
        "address": _address(rng, city, street, area),
        "city": city.name,
        "state": city.state,
        "country": city.country,
        "postal_code": postal_code,
        "latitude": round(rng.uniform(*city.lat), 6),
        "longitude": round(rng.uniform(*city.lon), 6),
        "phone": _digits(rng, rng.choice(city.phone_formats)),
        "website": f"https://{slug}.example.com",
        "hours": _hours(rng, first),
        "cuisine_type": cuisines,
        "price_range": price_range,
        "owner_id": None,
    }
    return restaurant, _MenuPlan(slug, pool, halal, promised_type)


def _restaurant_name(
    rng: random.Random,
    cuisine: str,
    pool: dict[str, tuple[float, tuple[_Variant, ...]]],
    city: _City,
    used_slugs: set[str],
) -> tuple[str, str | None]:
    # a name may only promise a dish the restaurant can serve (no "Bak Kut Teh" if halal)
    patterns = [p for p in _NAME_PATTERNS[cuisine] if p[1] is None or p[1] in pool]
    words = _NAME_WORDS[cuisine]
    name, promised = "", None
    for _ in range(40):
        template, promised = rng.choice(patterns)
        name = template.format(w=rng.choice(words))
        if _slugify(name) not in used_slugs:
            return name, promised
    # still taken: another branch, named after its neighbourhood as chains do
    for _, area, _ in city.streets:
        branch = f"{name} ({area})"
        if _slugify(branch) not in used_slugs:
            return branch, promised
    number = 2
    while _slugify(f"{name} {number}") in used_slugs:
        number += 1
    return f"{name} {number}", promised


def _address(rng: random.Random, city: _City, street: str, area: str) -> str:
    number = rng.randint(1, 250)
    if city.country == "Singapore":
        unit = f" #01-{rng.randint(1, 99):02d}" if rng.random() < 0.5 else ""
        return f"{number} {street}{unit}"
    prefix = "Lot " if rng.random() < 0.15 else ""
    return f"{prefix}{number}, {street}, {area}"


def _digits(rng: random.Random, template: str) -> str:
    return "".join(str(rng.randint(0, 9)) if ch == "#" else ch for ch in template)


def _hours(rng: random.Random, cuisine: str) -> dict[str, str]:
    roll = rng.random()
    if cuisine == "Indian" and roll < 0.35:
        return dict.fromkeys(DAYS, _HOURS_ALL_DAY[0])  # the 24-hour mamak
    if cuisine in ("Malay", "Chinese") and roll < 0.35:
        daily = rng.choice(_HOURS_BREAKFAST)
    elif cuisine in ("Seafood", "Korean") and roll < 0.4:
        daily = rng.choice(_HOURS_DINNER)
    else:
        daily = rng.choice(_HOURS_REGULAR)
    hours = dict.fromkeys(DAYS, daily)
    if rng.random() < 0.4:
        hours[rng.choice(DAYS[:5])] = "closed"  # one rest day in the week
    return hours


def _make_menu(restaurant: dict, plan: _MenuPlan, count: int) -> list[dict]:
    rng = random.Random(f"{DEMO_SEED}:{plan.slug}")
    picked = _pick_variants(rng, plan, count)
    dishes = []
    for position, (dish_type, variant) in enumerate(picked):
        signature = position == 0
        name = variant.name
        if signature and rng.random() < 0.35 and not name.startswith("Signature"):
            name = f"Signature {name}"
        tags = set(variant.tags)
        if plan.halal:
            tags.add("halal")
        if signature:
            tags.add("signature")
        ending = rng.choice(_DESCRIPTION_ENDINGS).format(city=restaurant["city"])
        dish_slug = _slugify(name)
        dishes.append({
            "id": str(uuid.uuid5(DEMO_NAMESPACE, f"dish:{plan.slug}:{dish_slug}")),
            "restaurant_id": restaurant["id"],
            "name": name,
            "description": f"{variant.description}{ending}.",
            "price": _price(rng, variant.price, restaurant["price_range"]),
            "image_url": f"https://images.example.com/dishes/{plan.slug}-{dish_slug}.jpg",
            "dish_type": dish_type,
            "tags": sorted(tags, key=_TAG_ORDER.index)[:4],
            # durian has its season; everything else now and then
            "is_seasonal": rng.random() < (0.6 if "Durian" in name else 0.09),
            "is_available": rng.random() < 0.95,
        })
    return dishes


def _pick_variants(
    rng: random.Random, plan: _MenuPlan, count: int
) -> list[tuple[str, _Variant]]:
    """Popular dish types first (weighted draw without replacement), one or two of each."""
    pool = plan.pool
    # Efraimidis-Spirakis: sorting by u ** (1 / weight) draws without replacement by weight
    keys = {t: rng.random() ** (1.0 / weight) for t, (weight, _) in pool.items()}
    order = sorted(pool, key=lambda t: keys[t], reverse=True)
    if plan.promised_type in pool:
        order.remove(plan.promised_type)
        order.insert(0, plan.promised_type)
    picked: list[tuple[str, _Variant]] = []
    names: set[str] = set()

    def add(dish_type: str, variant: _Variant) -> bool:
        if len(picked) >= count:
            return False
        slug = _slugify(variant.name)
        if slug in names:
            return False
        names.add(slug)
        picked.append((dish_type, variant))
        return True

    for dish_type in order:
        if len(picked) >= count:
            break
        options = list(pool[dish_type][1])
        rng.shuffle(options)
        added = 0
        for variant in options:
            if add(dish_type, variant):
                added += 1
            if added == 2 or (added == 1 and rng.random() >= 0.3):
                break
    for dish_type in order:  # a long menu: the remaining variants
        if len(picked) >= count:
            break
        for variant in pool[dish_type][1]:
            add(dish_type, variant)
    suffix_round = 0
    while len(picked) < count:  # longer still: sizes and sets of what is there
        suffix_round += 1
        for dish_type, variant in list(picked):
            suffix = _EXTRA_SUFFIXES[(suffix_round - 1) % len(_EXTRA_SUFFIXES)]
            if suffix_round > len(_EXTRA_SUFFIXES):
                suffix = f"{suffix} {suffix_round}"
            bigger = _Variant(f"{variant.name} {suffix}", variant.price * 1.5,
                              variant.tags, variant.description)
            add(dish_type, bigger)
    return picked


def _price(rng: random.Random, base: float, price_range: int) -> str:
    cents = base * 100 * _PRICE_FACTOR[price_range] * rng.uniform(0.9, 1.15)
    step = 10 if cents < 2000 else 50
    rounded = int(round(cents / step)) * step
    rounded = min(max(rounded, MIN_PRICE_CENTS), MAX_PRICE_CENTS)
    return f"{rounded // 100}.{rounded % 100:02d}"


@functools.lru_cache(maxsize=4096)
def _slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    ascii_text = ascii_text.lower().replace("&", " and ").replace("'", "")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
