"""GET /dashboard in headless Chromium against the running system (scripts/run): the demo
owner signs in and sees, for every period, the figures and charts the JSON API answers;
a plain user sees only their own restaurant; an admin every one; a phone gets a page that
fits; the page loads from, and talks to, nothing but the gateway. Screenshots go to each
test's tmp_path and to artifacts/browser/ (README.md)."""

from __future__ import annotations

import re

import pytest
import requests
from selenium.webdriver.common.keys import Keys

from .conftest import ADMIN_PASSWORD, PASSWORD

PERIODS = ("week", "day", "month", "year")  # week first: the page opens on it


def traffic_of(dashboard: dict) -> tuple[list[str], list[int]]:
    """What the traffic chart should show: hours of the day (UTC) for a day, else days."""
    if dashboard["period"] == "day":
        hours = sorted(dashboard["hourly_views"])
        return [f"{hour}:00" for hour in hours], [dashboard["hourly_views"][h] for h in hours]
    return ([day["date"] for day in dashboard["traffic_data"]],
            [day["views"] for day in dashboard["traffic_data"]])


def figures_of(dashboard: dict) -> dict[str, float]:
    reviews = dashboard["review_analytics"]
    return {
        "period-views": sum(day["views"] for day in dashboard["traffic_data"]),
        "view-count": dashboard["view_data"]["view_count"],
        "unique-viewers": dashboard["view_data"]["unique_viewers"],
        "reviews": reviews["total_reviews"],
        "rating": reviews["average_rating"],
    }


def assert_drawn(page, name: str, labels: list, values: list) -> None:
    chart = page.chart(name)
    assert chart is not None, f"no {name} chart"
    assert chart["width"] > 0 and chart["height"] > 0 and chart["painted"] > 500, (name, chart)
    assert (chart["labels"], chart["values"]) == (labels, values), name
    assert chart["role"] == "img" and chart["label"], name  # read out by screen readers


def assert_only_from(page, base: str) -> None:
    """Everything the page asked for came from the gateway, and nothing went wrong."""
    urls = page.requested_urls()
    assert urls, "the performance log is empty"
    assert [url for url in urls if not url.startswith(base + "/")] == []
    problems = [entry for entry in page.console() if entry["level"] == "SEVERE"]
    assert problems == [], problems


def signed_in_page(open_page, world, email: str, restaurant: dict | None = None, **options):
    page = open_page(**options)
    page.open()
    page.sign_in(email, PASSWORD)
    page.wait_until_any_loaded()
    if restaurant is not None:
        if page.element("restaurant").get_attribute("value") != restaurant["id"]:
            page.choose_restaurant(restaurant["id"])
        page.wait_until_loaded(restaurant["id"], "week")
    return page


def test_the_owner_sees_every_period_as_the_api_answers_it(world, open_page):
    warung = world.restaurants["Warung Papan Pemuka"]
    page = signed_in_page(open_page, world, world.owner.email, warung)
    assert page.restaurant_choices() == {
        world.restaurants["Kedai Kedua"]["id"]: f"Kedai Kedua ({world.city})",
        warung["id"]: f"Warung Papan Pemuka ({world.city})"}
    assert page.text("restaurant-name") == "Warung Papan Pemuka"

    for period in PERIODS:
        if period != "week":
            page.choose_period(period)
            page.wait_until_loaded(warung["id"], period)
        dashboard = world.analytics(warung, period)
        assert dashboard["partial"] is False
        expected = figures_of(dashboard)
        shown = page.figures()
        assert {name: float(value) for name, value in shown.items()} == pytest.approx(
            expected), period
        texts = page.figure_texts()
        assert texts["view-count"] == f"{expected['view-count']:,}"
        assert texts["rating"] == f"{expected['rating']:.1f} / 5"
        assert_drawn(page, "traffic", *traffic_of(dashboard))
        distribution = dashboard["review_analytics"]["rating_distribution"]
        assert_drawn(page, "ratings", ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"],
                     [distribution.get(star, 0) for star in "12345"])
        devices = dashboard["device_data"]
        assert_drawn(page, "devices", ["Mobile", "Tablet", "Desktop"],
                     [devices["mobile"], devices["tablet"], devices["desktop"]])
        page.screenshot(f"owner-{period}")

    # what was made: six views by three signed-in viewers; four reviews; today's hour
    week = world.analytics(warung, "week")
    assert (week["view_data"]["view_count"], week["view_data"]["unique_viewers"]) == (6, 3)
    assert week["device_data"] == {"mobile": 2, "tablet": 1, "desktop": 3}
    assert week["review_analytics"]["rating_distribution"] == {"1": 0, "2": 1, "3": 0, "4": 2,
                                                               "5": 1}
    assert page.chart("traffic")["labels"][-1] == week["traffic_data"][-1]["date"]

    # the restaurant's most ranked dishes, as /rankings/best counts them, most first
    top = page.list_items("top-dishes")
    assert top[0]["dish_id"] == world.dishes["Nasi Lemak Istimewa"]["id"]
    assert "ranked by 3 people" in top[0]["text"]
    assert {item["dish_id"] for item in top[1:]} == {world.dishes["Laksa Penang"]["id"],
                                                     world.dishes["Nasi Lemak Biasa"]["id"]}
    # the city's trending dishes, the owner's marked, the plain user's among them
    trending = world.call("GET", f"/trending/dishes?city={world.city}&limit=10")["items"]
    listed = page.list_items("trending-dishes")
    assert [item["dish_id"] for item in listed] == [item["dish_id"] for item in trending]
    theirs = world.dishes["Nasi Lemak Kopitiam"]["id"]
    for item in listed:
        assert ("yours" in item["text"].split("\n")[0]) is (item["dish_id"] != theirs), item
    assert page.text("trending-city") == world.city

    assert_only_from(page, world.base)


def test_the_period_changes_from_the_keyboard(world, open_page):
    warung = world.restaurants["Warung Papan Pemuka"]
    page = signed_in_page(open_page, world, world.owner.email, warung)
    page.driver.execute_script("arguments[0].focus()", page.element("restaurant"))
    page.press(Keys.TAB)  # from the restaurant to the period
    assert page.driver.switch_to.active_element.get_attribute("id") == "period-week"
    page.press(Keys.ARROW_RIGHT)  # a radio group: the arrows choose
    page.wait_until_loaded(warung["id"], "month")
    assert page.chart("traffic")["labels"] == traffic_of(world.analytics(warung, "month"))[0]
    assert page.element("period-month").is_selected()
    assert "period=month" in page.driver.current_url  # a reload comes back to it


def test_a_plain_user_sees_no_restaurant_of_anyone_else(world, open_page):
    kopitiam = world.restaurants["Kopitiam Biasa"]
    warung = world.restaurants["Warung Papan Pemuka"]
    page = open_page()
    page.open(f"#restaurant={warung['id']}&period=week")  # someone else's, by its id
    page.sign_in(world.plain.email, PASSWORD)
    page.wait_until_loaded(kopitiam["id"], "week")
    assert page.restaurant_choices() == {kopitiam["id"]: f"Kopitiam Biasa ({world.city})"}
    assert page.text("restaurant-name") == "Kopitiam Biasa"
    body = page.driver.find_element("tag name", "body").text
    for name in ("Warung Papan Pemuka", "Kedai Kedua"):
        assert name not in body
    assert page.figures()["view-count"] == "0"
    page.screenshot("plain-user")
    # and the API refuses them the owner's dashboard as it refuses the page
    refused = requests.get(f"{world.base}/restaurants/{warung['id']}/analytics",
                           headers=world.plain.headers, timeout=10)
    assert refused.status_code == 403


def test_an_admin_picks_from_every_restaurant(world, open_page):
    page = open_page()
    page.open()
    page.sign_in(world.admin.email, ADMIN_PASSWORD)
    page.wait_until_any_loaded()
    choices = page.restaurant_choices()
    assert {restaurant["id"] for restaurant in world.restaurants.values()} <= set(choices)
    total = world.call("GET", "/restaurants?limit=1")["total"]
    assert len(choices) == total  # the demo catalog's too
    assert "every restaurant" in page.text("list-note")


def test_the_page_fits_a_phone(world, open_page):
    warung = world.restaurants["Warung Papan Pemuka"]
    page = signed_in_page(open_page, world, world.owner.email, warung, phone=True)
    assert page.driver.execute_script("return window.innerWidth") == 390
    assert page.horizontal_overflow() <= 0, "the page scrolls sideways"
    for name in ("traffic", "ratings", "devices"):
        chart = page.chart(name)
        assert chart["painted"] > 500 and chart["width"] <= 390 * 2, (name, chart)
    page.screenshot("owner-phone")


def test_the_page_is_accessible(world, open_page):
    warung = world.restaurants["Warung Papan Pemuka"]
    page = open_page()
    page.open()
    assert page.unlabelled_controls() == []  # the sign-in form
    assert page.driver.switch_to.active_element.get_attribute("id") == "email"
    page.sign_in(world.owner.email, PASSWORD)
    page.wait_until_any_loaded()
    assert page.driver.switch_to.active_element.get_attribute("id") == "restaurant"
    page.choose_restaurant(warung["id"])
    page.wait_until_loaded(warung["id"], "week")
    assert page.unlabelled_controls() == []
    assert page.driver.execute_script("return document.documentElement.lang") == "en"
    low = [found for found in page.contrasts()
           if found["ratio"] < (3.0 if found["large"] else 4.5)]
    assert low == [], low
    for name in ("traffic", "ratings", "devices"):
        assert re.search(r"\d", page.chart(name)["label"]), name  # says the figures too
    # each chart's figures as a table too, for whoever cannot see the chart
    cells = page.driver.find_elements("css selector", "#devices-table td")
    assert [cell.get_attribute("textContent") for cell in cells] == [
        "Mobile", "2", "Tablet", "1", "Desktop", "3"]


def test_the_page_allows_only_its_own_origin(world):
    """Its headers and markup: a policy of its own origin, no inline script or style."""
    page = requests.get(f"{world.base}/dashboard", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    policy = page.headers["Content-Security-Policy"]
    assert policy.startswith("default-src 'self';") and "unsafe" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    html = page.text
    assert re.findall(r"<script\b[^>]*>", html) == [
        '<script src="/dashboard/chart.umd.js" defer>',
        '<script src="/dashboard/dashboard.js" defer>']
    assert not re.search(r"<style|\sstyle=|\son[a-z]+=|https?://", html)
    for asset, media_type in [("dashboard.js", "text/javascript"),
                              ("dashboard.css", "text/css"),
                              ("favicon.svg", "image/svg+xml"),
                              ("chart.umd.js", "text/javascript")]:
        served = requests.get(f"{world.base}/dashboard/{asset}", timeout=10)
        assert served.status_code == 200, asset
        assert served.headers["Content-Type"].split(";")[0] == media_type
    assert "Chart.js v4" in requests.get(f"{world.base}/dashboard/chart.umd.js",
                                         timeout=10).text[:200]
    # nothing else is served from there: the files are a fixed list, not a folder
    for path in ("/dashboard/service.py", "/dashboard/static/dashboard.js",
                 "/dashboard/%2e%2e/entrypoints/dashboard.py", "/dashboard/chart.umd.js.map",
                 "/dashboard/dashboard.html"):
        assert requests.get(f"{world.base}{path}", timeout=10).status_code == 404, path
