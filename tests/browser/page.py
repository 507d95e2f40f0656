"""The dashboard page as a person uses it, in headless Chromium (Debian's chromium, driven
through its chromedriver by Selenium): sign in, pick, switch, read what the page shows,
and take screenshots people can look at."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
# screenshots are copied here (.gitignored) from each test's tmp_path, for people to look at
ARTIFACTS = ROOT / "artifacts" / "browser"
WAIT = 30.0  # seconds for the page to load what it asks the API
PHONE = {"width": 390, "height": 844, "pixelRatio": 2}
FIGURES = ("period-views", "view-count", "unique-viewers", "reviews", "rating")
CHARTS = ("traffic", "ratings", "devices")

# What a chart is: Chart.js's own instance on the canvas (labels, values), and how many of
# the canvas's pixels are painted (a chart that drew has some)
READ_CHART = """
const canvas = document.getElementById(arguments[0] + "-chart");
const chart = window.Chart && window.Chart.getChart(canvas);
if (!chart) return null;
const context = canvas.getContext("2d");
const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
let painted = 0;
for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
return {labels: chart.data.labels, values: chart.data.datasets[0].data, type: chart.config.type,
        width: canvas.width, height: canvas.height, painted: painted,
        label: canvas.getAttribute("aria-label"), role: canvas.getAttribute("role")};
"""

# WCAG's contrast ratio of every visible piece of text against the background behind it
# (the nearest opaque one): [{text, ratio, large}]
CONTRASTS = """
function rgb(value) {
  const parts = value.match(/[\\d.]+/g).map(Number);
  return {r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1};
}
function luminance(c) {
  const channel = (v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
}
function background(element) {
  for (let node = element; node; node = node.parentElement) {
    const colour = rgb(getComputedStyle(node).backgroundColor);
    if (colour.a === 1) return colour;
  }
  return {r: 255, g: 255, b: 255, a: 1};
}
const found = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const element = node.parentElement;
  if (!node.textContent.trim() || !element.getClientRects().length) continue;
  if (element.closest(".visually-hidden, .skip-link")) continue;
  const style = getComputedStyle(element);
  if (style.visibility === "hidden" || Number(style.opacity) === 0) continue;
  const fore = luminance(rgb(style.color)), back = luminance(background(element));
  const ratio = (Math.max(fore, back) + 0.05) / (Math.min(fore, back) + 0.05);
  const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
  found.push({text: node.textContent.trim().slice(0, 40), ratio: ratio,
              large: size >= 24 || (bold && size >= 18.66)});
}
return found;
"""


def chromium_installed() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


class DashboardPage:
    """One browser (its own profile: its own session storage) on the dashboard of `base`."""

    def __init__(self, base: str, output: Path, phone: bool = False):
        self.base = base
        self.output = output
        self.phone = phone
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--disable-gpu", "--no-first-run", "--window-size=1280,1000",
                         "--force-device-scale-factor=1", "--lang=en-GB"):
            options.add_argument(argument)
        if phone:
            options.add_experimental_option("mobileEmulation", {"deviceMetrics": PHONE})
        # every request the page makes (performance), and what it says on its console
        options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        self.driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        self.driver.set_page_load_timeout(WAIT)

    def close(self) -> None:
        self.driver.quit()

    # --- acting -------------------------------------------------------------------------

    def open(self, fragment: str = "") -> None:
        self.driver.get(f"{self.base}/dashboard{fragment}")
        self.wait_for(lambda: self.visible("sign-in") or self.visible("dashboard"))

    def sign_in(self, email: str, password: str) -> None:
        """Type the credentials and press Enter, as a keyboard user would."""
        self.wait_for(lambda: self.visible("sign-in"))
        self.element("email").send_keys(email)
        self.element("password").send_keys(password, Keys.ENTER)
        self.wait_for(lambda: self.visible("dashboard") or self.visible("problem"))

    def wait_until_loaded(self, restaurant_id: str, period: str) -> None:
        """Until the page shows `restaurant_id`'s dashboard for `period`, all of it."""
        self.wait_for(lambda: self.driver.execute_script(
            "return document.documentElement.dataset.loaded") == f"{restaurant_id}:{period}",
            f"the dashboard of {restaurant_id} for {period}")

    def wait_until_any_loaded(self) -> None:
        """Until the page shows the first restaurant it chose itself, all of it."""
        self.wait_for(lambda: self.driver.execute_script(
            "return document.documentElement.dataset.loaded"), "the first dashboard")

    def choose_period(self, period: str) -> None:
        """Click the period (its label: the radio button under it is the keyboard's)."""
        self.driver.find_element(By.CSS_SELECTOR, f'label[for="period-{period}"]').click()

    def choose_restaurant(self, restaurant_id: str) -> None:
        Select(self.element("restaurant")).select_by_value(restaurant_id)

    def press(self, *keys: str) -> None:
        """Keys to whatever has the focus."""
        self.driver.switch_to.active_element.send_keys(*keys)

    # --- reading ------------------------------------------------------------------------

    def element(self, element_id: str):
        return self.driver.find_element(By.ID, element_id)

    def visible(self, element_id: str) -> bool:
        found = self.driver.find_elements(By.ID, element_id)
        return bool(found) and found[0].is_displayed()

    def text(self, element_id: str) -> str:
        return self.element(element_id).text

    def restaurant_choices(self) -> dict[str, str]:
        """The picker's options: restaurant id -> what it says."""
        return {option.get_attribute("value"): option.text
                for option in Select(self.element("restaurant")).options}

    def figures(self) -> dict[str, str]:
        """Each figure's value as the page holds it (data-value: the number shown)."""
        return {name: self.element(f"figure-{name}").get_attribute("data-value")
                for name in FIGURES}

    def figure_texts(self) -> dict[str, str]:
        return {name: self.text(f"figure-{name}") for name in FIGURES}

    def chart(self, name: str) -> dict | None:
        return self.driver.execute_script(READ_CHART, name)

    def list_items(self, element_id: str) -> list[dict]:
        return [{"dish_id": item.get_attribute("data-dish-id"), "text": item.text}
                for item in self.element(element_id).find_elements(By.TAG_NAME, "li")]

    def contrasts(self) -> list[dict]:
        return self.driver.execute_script(CONTRASTS)

    def unlabelled_controls(self) -> list[str]:
        """Form controls with no label a screen reader would read."""
        return self.driver.execute_script("""
            return [...document.querySelectorAll("input, select, button, textarea")]
              .filter((c) => !(c.labels && c.labels.length) && !c.getAttribute("aria-label")
                             && !c.textContent.trim())
              .map((c) => c.outerHTML.slice(0, 80));""")

    def requested_urls(self) -> list[str]:
        """Every URL the page asked for since the last call (the performance log)."""
        urls = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        return urls

    def console(self) -> list[dict]:
        """What the page wrote to its console (errors, refused loads, policy violations)."""
        return self.driver.get_log("browser")

    def horizontal_overflow(self) -> int:
        """How many pixels the page is wider than its window (0: no sideways scrolling)."""
        return self.driver.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth")

    # --- screenshots --------------------------------------------------------------------

    def screenshot(self, name: str) -> Path:
        """The whole page as a PNG in the test's output, copied to artifacts/browser/.

        The viewport is made as tall as the page for the shot (Chromium's capture beyond
        the viewport leaves canvases blank), then given back."""
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        width = self.driver.execute_script("return window.innerWidth")
        scale = PHONE["pixelRatio"] if self.phone else 1
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": scale, "mobile": self.phone})
        self.driver.execute_async_script(  # two frames: laid out and painted at that size
            "const done = arguments[0];"
            "requestAnimationFrame(() => requestAnimationFrame(() => done()));")
        path = self.output / f"{name}.png"
        path.write_bytes(self.driver.get_screenshot_as_png())
        if self.phone:
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": PHONE["width"], "height": PHONE["height"],
                "deviceScaleFactor": scale, "mobile": True})
        else:
            self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        kept = ARTIFACTS / path.name
        shutil.copyfile(path, kept)
        print(f"screenshot: {kept}")
        return kept

    def wait_for(self, condition, what: str = "the page") -> None:
        try:
            WebDriverWait(self.driver, WAIT, poll_frequency=0.1).until(lambda _: condition())
        except TimeoutException:
            shot = self.screenshot("timed-out")
            raise AssertionError(f"{what} did not come within {WAIT}s; status "
                                 f"{self.text('status')!r}, problem {self.text('problem')!r}; "
                                 f"screenshot {shot}; console {self.console()}") from None
