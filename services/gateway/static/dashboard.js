// The restaurant dashboard (GET /dashboard): sign in, pick a restaurant, see its figures.
// Everything comes from this gateway's own JSON API, with the signed-in user's token:
//   POST /auth/login, /auth/refresh, /auth/logout   the session
//   GET /users/me                                   who is signed in (and whether admin)
//   GET /restaurants?limit=&cursor=                 every page: an owner's are those whose
//                                                   owner_id is theirs (no owner filter yet)
//   GET /restaurants/{id}/analytics?period=         views, traffic, devices, reviews
//   GET /restaurants/{id}/menu, /rankings/best      the restaurant's most ranked dishes
//   GET /trending/dishes?city=                      the city's trending dishes
// Text from the API is only ever set as textContent, never parsed as HTML.
"use strict";

(() => {
  const PERIODS = ["day", "week", "month", "year"];
  const PAGE_LIMIT = 50; // the most GET /restaurants gives at once
  const MAX_PAGES = 200; // 10,000 restaurants: past that the list says it stopped
  const MENU_LIMIT = 200;
  const MAX_DISH_TYPES = 20;
  const TOP_DISHES = 5;
  const TRENDING_LIMIT = 10;
  const SESSION_KEY = "bellyfed.dashboard.session";
  const COLOURS = {
    line: "#0a58a8",
    fill: "rgba(10, 88, 168, 0.12)",
    ratings: ["#9b1020", "#b34700", "#6b6b00", "#2e7d32", "#1b5e20"],
    devices: ["#0a58a8", "#6a1b9a", "#00695c"],
    grid: "#dde2e8",
    text: "#1b1f24",
  };
  const numbers = new Intl.NumberFormat("en");

  const $ = (id) => document.getElementById(id);
  const state = {
    access: null,
    refresh: null,
    user: null,
    restaurants: [],
    restaurant: null,
    period: "week",
    charts: {},
    refreshing: null, // the refresh under way (see refreshed)
    figuresLoad: 0, // the number of the latest load of each (see loadFigures)
    listsLoad: 0,
  };

  // --- the API ------------------------------------------------------------------------------

  class ApiProblem extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function call(path, { method = "GET", body, signedIn = true, retry = true } = {}) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (signedIn && state.access) headers.Authorization = `Bearer ${state.access}`;
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
        redirect: "error",
      });
    } catch {
      throw new ApiProblem(0, "unreachable",
                           "The gateway could not be reached: check the connection and try again.");
    }
    if (response.status === 401 && signedIn && retry && state.refresh && (await refreshed())) {
      return call(path, { method, body, signedIn, retry: false });
    }
    if (response.status === 204) return null;
    let answer = null;
    try {
      answer = await response.json();
    } catch {
      answer = null;
    }
    if (!response.ok) {
      const problem = (answer && answer.error) || {};
      throw new ApiProblem(response.status, problem.code || "http_" + response.status,
                           problem.message || `the gateway answered ${response.status}`);
    }
    return answer;
  }

  function query(parameters) {
    return new URLSearchParams(parameters).toString();
  }

  function keepSession(tokens) {
    state.access = tokens.access_token;
    state.refresh = tokens.refresh_token;
    sessionStorage.setItem(SESSION_KEY, JSON.stringify({
      access: state.access, refresh: state.refresh }));
  }

  function forgetSession() {
    state.access = state.refresh = state.user = null;
    sessionStorage.removeItem(SESSION_KEY);
  }

  // A refresh token is good once (a reused one ends the session): the calls that find
  // the access token expired at once share one refresh.
  function refreshed() {
    if (!state.refreshing) {
      state.refreshing = call("/auth/refresh", {
        method: "POST", body: { refresh_token: state.refresh }, signedIn: false })
        .then((tokens) => {
          keepSession(tokens);
          return true;
        }, () => false)
        .finally(() => {
          state.refreshing = null;
        });
    }
    return state.refreshing;
  }

  // --- what the page says -------------------------------------------------------------------

  function say(text) {
    $("status").textContent = text;
  }

  function problem(text) {
    const element = $("problem");
    element.textContent = text || "";
    element.hidden = !text;
  }

  function explain(failure) {
    if (failure instanceof ApiProblem) {
      if (failure.status === 403) return "You may not see this restaurant's dashboard.";
      if (failure.status === 429) return "Too many requests just now: try again in a minute.";
      if (failure.status >= 500) return "The service is unavailable just now: try again soon.";
      return failure.message;
    }
    console.error(failure); // a fault of this page's own: for whoever opens the console
    return "Something went wrong on this page; reloading it may help.";
  }

  function setFigure(id, value, text) {
    const element = $(id);
    element.textContent = text !== undefined ? text
      : value === null || value === undefined ? "unavailable" : numbers.format(value);
    element.dataset.value = value === null || value === undefined ? "" : String(value);
  }

  function fillTable(id, rows) {
    const body = $(id);
    body.replaceChildren(...rows.map(([key, value]) => {
      const row = document.createElement("tr");
      const name = document.createElement("td");
      name.textContent = key;
      const count = document.createElement("td");
      count.textContent = numbers.format(value);
      row.append(name, count);
      return row;
    }));
  }

  function counted(count, one, many) {
    return `${numbers.format(count)} ${count === 1 ? one : many}`;
  }

  function sum(values) {
    return values.reduce((total, value) => total + value, 0);
  }

  function describe(what, labels, values) {
    if (!sum(values)) return `${what}: none`;
    const most = values.indexOf(Math.max(...values));
    return `${what}: ${numbers.format(sum(values))} in all; the most, ` +
      `${numbers.format(values[most])}, for ${labels[most]}`;
  }

  // --- charts (Chart.js, served by the gateway) --------------------------------------------

  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function draw(name, type, labels, values, colours, label, options = {}) {
    if (!window.Chart) return null; // the tables below each chart still say it all
    const canvas = $(`${name}-chart`);
    const dataset = type === "line"
      ? { label, data: values, backgroundColor: colours.fill, borderColor: colours.line,
          borderWidth: 2, pointRadius: values.length > 60 ? 0 : 3, fill: true, tension: 0.2 }
      : { label, data: values, backgroundColor: colours, borderWidth: 0 };
    const existing = state.charts[name];
    if (existing) {
      existing.data.labels = labels;
      existing.data.datasets = [dataset];
      existing.update();
      return existing;
    }
    state.charts[name] = new window.Chart(canvas, {
      type,
      data: { labels, datasets: [dataset] },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reducedMotion ? false : { duration: 300 },
        indexAxis: options.indexAxis || "x",
        plugins: { legend: { display: false } },
        scales: {
          x: { grid: { color: COLOURS.grid }, ticks: { color: COLOURS.text, autoSkip: true,
               maxRotation: 0, precision: 0 }, beginAtZero: true },
          y: { grid: { color: COLOURS.grid }, ticks: { color: COLOURS.text, precision: 0 },
               beginAtZero: true },
        },
      },
    });
    return state.charts[name];
  }

  function forgetCharts() {
    for (const chart of Object.values(state.charts)) chart.destroy();
    state.charts = {};
  }

  // --- the restaurants the user may see -----------------------------------------------------

  async function visibleRestaurants(user) {
    const found = [];
    let cursor = null;
    let pages = 0;
    do {
      const parameters = { limit: PAGE_LIMIT };
      if (cursor) parameters.cursor = cursor;
      const page = await call(`/restaurants?${query(parameters)}`);
      for (const restaurant of page.items) {
        if (user.role === "admin" || restaurant.owner_id === user.id) found.push(restaurant);
      }
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor && pages < MAX_PAGES);
    return { restaurants: found, complete: !cursor };
  }

  function fillPicker(restaurants) {
    const picker = $("restaurant");
    picker.replaceChildren(...restaurants.map((restaurant) => {
      const option = document.createElement("option");
      option.value = restaurant.id;
      option.textContent = restaurant.city ? `${restaurant.name} (${restaurant.city})`
        : restaurant.name;
      return option;
    }));
  }

  // --- one restaurant's dashboard -----------------------------------------------------------

  function renderAnalytics(dashboard) {
    const traffic = dashboard.traffic_data || [];
    const hourly = dashboard.hourly_views;
    const periodViews = sum(traffic.map((day) => day.views));
    setFigure("figure-period-views", dashboard.view_data ? periodViews : null);
    setFigure("figure-view-count", dashboard.view_data && dashboard.view_data.view_count);
    setFigure("figure-unique-viewers", dashboard.view_data && dashboard.view_data.unique_viewers);
    const reviews = dashboard.review_analytics;
    setFigure("figure-reviews", reviews && reviews.total_reviews);
    const rating = reviews && reviews.total_reviews ? reviews.average_rating : null;
    setFigure("figure-rating", rating,
              rating === null ? (reviews ? "no reviews" : "unavailable")
                : `${Number(rating).toFixed(1)} / 5`);

    const partial = $("partial");
    partial.hidden = !dashboard.partial;
    partial.textContent = dashboard.partial
      ? `Some figures are missing: ${dashboard.unavailable.join(", ")} did not answer in time.`
      : "";

    // traffic: by hour for a day (UTC), by day otherwise
    let labels;
    let values;
    if (dashboard.period === "day") {
      labels = Object.keys(hourly || {}).sort().map((hour) => `${hour}:00`);
      values = Object.keys(hourly || {}).sort().map((hour) => hourly[hour]);
      $("traffic-unit").textContent = "views per hour today (UTC)";
      $("traffic-key").textContent = "Hour (UTC)";
    } else {
      labels = traffic.map((day) => day.date);
      values = traffic.map((day) => day.views);
      $("traffic-unit").textContent = `views per day, last ${traffic.length} days`;
      $("traffic-key").textContent = "Day";
    }
    draw("traffic", "line", labels, values, COLOURS, "Views");
    $("traffic-chart").setAttribute("aria-label", describe("Views", labels, values));
    fillTable("traffic-table", labels.map((key, index) => [key, values[index]]));

    const stars = ["1", "2", "3", "4", "5"];
    const distribution = (reviews && reviews.rating_distribution) || {};
    const ratingLabels = stars.map((star) => (star === "1" ? "1 star" : `${star} stars`));
    const ratingValues = stars.map((star) => distribution[star] || 0);
    draw("ratings", "bar", ratingLabels, ratingValues, COLOURS.ratings, "Reviews");
    $("ratings-chart").setAttribute("aria-label", describe("Reviews", ratingLabels, ratingValues));
    fillTable("ratings-table", ratingLabels.map((key, index) => [key, ratingValues[index]]));

    const devices = dashboard.device_data || {};
    const deviceLabels = ["Mobile", "Tablet", "Desktop"];
    const deviceValues = ["mobile", "tablet", "desktop"].map((device) => devices[device] || 0);
    draw("devices", "bar", deviceLabels, deviceValues, COLOURS.devices, "Views",
         { indexAxis: "y" });
    $("devices-chart").setAttribute("aria-label",
                                    describe("Views by device", deviceLabels, deviceValues));
    fillTable("devices-table", deviceLabels.map((key, index) => [key, deviceValues[index]]));
  }

  async function mostRankedDishes(restaurant) {
    const menu = await call(`/restaurants/${restaurant.id}/menu?${query({ limit: MENU_LIMIT })}`);
    const typeOf = new Map(menu.items.map((dish) => [dish.id, dish.dish_type]));
    const types = [...new Set(menu.items.map((dish) => dish.dish_type))].slice(0, MAX_DISH_TYPES);
    if (!restaurant.city || !types.length) return [];
    // the city's best of each of its dish types, this restaurant's among them
    const pages = await Promise.all(types.map((dishType) => call(`/rankings/best?${query({
      dish_type: dishType, city: restaurant.city, limit: 50 })}`)));
    return pages.flatMap((page) => page.items)
      .filter((item) => item.restaurant_id === restaurant.id)
      .sort((a, b) => b.ranking_count - a.ranking_count || b.score - a.score)
      .slice(0, TOP_DISHES)
      .map((item) => ({ ...item, dish_type: typeOf.get(item.dish_id) }));
  }

  function listItem(name, detail, yours) {
    const item = document.createElement("li");
    const title = document.createElement("span");
    title.className = "name";
    title.textContent = name;
    item.append(title);
    if (yours) {
      const mark = document.createElement("span");
      mark.className = "yours";
      mark.textContent = "yours";
      item.append(mark);
    }
    const more = document.createElement("span");
    more.className = "detail";
    more.textContent = detail;
    item.append(more);
    return item;
  }

  function renderTopDishes(dishes) {
    $("top-dishes-empty").textContent = "None of this restaurant's dishes is ranked yet.";
    $("top-dishes").replaceChildren(...dishes.map((dish) => {
      const item = listItem(dish.dish_name,
        `${dish.dish_type ? dish.dish_type + " · " : ""}ranked by ` +
        counted(dish.ranking_count, "person", "people"));
      item.dataset.dishId = dish.dish_id;
      item.dataset.rankingCount = String(dish.ranking_count);
      return item;
    }));
    $("top-dishes-empty").hidden = dishes.length > 0;
  }

  function renderTrending(restaurant, trending) {
    $("trending-empty").textContent = "Nothing trends in this city yet.";
    $("trending-city").textContent = restaurant.city || "this restaurant's city";
    $("trending-dishes").replaceChildren(...trending.map((entry) => {
      const name = entry.dish ? entry.dish.name : "a dish no longer on any menu";
      const item = listItem(name,
        `${entry.dish_type || "dish"} · ${counted(entry.ranking_count, "ranking", "rankings")}, ` +
        `${counted(entry.views, "view", "views")} · score ${entry.score.toFixed(1)}`,
        entry.restaurant_id === restaurant.id);
      item.dataset.dishId = entry.dish_id;
      return item;
    }));
    $("trending-empty").hidden = trending.length > 0;
  }

  // What is on screen is the latest choice's: each load has a number, and the answers of
  // a load that another has replaced since are dropped. The lists belong to a restaurant,
  // the figures and charts to a restaurant and a period.
  function finished(restaurant, period) {
    say(`${restaurant.name}: ${periodName(period)}.`);
    document.documentElement.dataset.loaded = `${restaurant.id}:${period}`;
  }

  async function failed(failure) {
    if (await signedOutBy(failure)) return;
    say("");
    problem(explain(failure));
  }

  async function loadFigures(restaurant, period) {
    const load = (state.figuresLoad += 1);
    const dashboard = await call(`/restaurants/${restaurant.id}/analytics?${query({ period })}`);
    if (load === state.figuresLoad) renderAnalytics(dashboard);
    return load === state.figuresLoad;
  }

  async function loadLists(restaurant) {
    const load = (state.listsLoad += 1);
    // each list says on its own when it could not be loaded, and leaves the rest
    const listed = (promise, render, empty) => promise.then((value) => {
      if (load === state.listsLoad) render(value);
    }, (failure) => {
      if (load !== state.listsLoad) return;
      render([]);
      $(empty).textContent = `Could not be loaded: ${explain(failure)}`;
      $(empty).hidden = false;
    });
    await Promise.all([
      listed(mostRankedDishes(restaurant), renderTopDishes, "top-dishes-empty"),
      listed(restaurant.city
        ? call(`/trending/dishes?${query({ city: restaurant.city, limit: TRENDING_LIMIT })}`)
          .then((answer) => answer.items)
        : Promise.resolve([]), (items) => renderTrending(restaurant, items), "trending-empty"),
    ]);
    return load === state.listsLoad;
  }

  async function loadRestaurant(restaurant) {
    state.restaurant = restaurant;
    const period = state.period;
    $("report").hidden = false;
    $("restaurant-name").textContent = restaurant.name;
    $("restaurant-place").textContent = [restaurant.address, restaurant.city, restaurant.country]
      .filter(Boolean).join(", ");
    say(`Loading ${restaurant.name}…`);
    problem("");
    document.documentElement.dataset.loaded = "";
    try {
      const [figuresCurrent, listsCurrent] = await Promise.all([
        loadFigures(restaurant, period), loadLists(restaurant)]);
      if (figuresCurrent && listsCurrent) finished(restaurant, period);
    } catch (failure) {
      if (state.restaurant === restaurant) await failed(failure);
    }
  }

  async function switchPeriod(period) {
    state.period = period;
    remember();
    const restaurant = state.restaurant;
    if (!restaurant) return;
    say(`Loading ${periodName(period)}…`);
    problem("");
    document.documentElement.dataset.loaded = "";
    try {
      if (await loadFigures(restaurant, period)) finished(restaurant, period);
    } catch (failure) {
      if (state.restaurant === restaurant && state.period === period) await failed(failure);
    }
  }

  function periodName(period) {
    return { day: "today", week: "the last 7 days", month: "the last 30 days",
             year: "the last 365 days" }[period];
  }

  // the restaurant and period in the address (#restaurant=<id>&period=<period>), so a
  // reload or a bookmark comes back to them
  function remember() {
    const parameters = { period: state.period };
    if (state.restaurant) parameters.restaurant = state.restaurant.id;
    history.replaceState(null, "", `#${query(parameters)}`);
  }

  function remembered() {
    const parameters = new URLSearchParams(location.hash.slice(1));
    const period = parameters.get("period");
    return { restaurant: parameters.get("restaurant"),
             period: PERIODS.includes(period) ? period : null };
  }

  // --- signing in and out -------------------------------------------------------------------

  function showSignIn(message) {
    forgetCharts();
    $("dashboard").hidden = true;
    $("who").hidden = true;
    $("sign-in").hidden = false;
    say(message || "");
    $("email").focus();
  }

  async function signedOutBy(failure) {
    if (failure instanceof ApiProblem && failure.status === 401) {
      forgetSession();
      showSignIn("Your session has ended: sign in again.");
      return true;
    }
    return false;
  }

  async function start() {
    say("Loading your restaurants…");
    const user = await call("/users/me");
    state.user = user;
    $("who-name").textContent = user.display_name || user.username;
    $("who").hidden = false;
    $("sign-in").hidden = true;
    const { restaurants, complete } = await visibleRestaurants(user);
    state.restaurants = restaurants;
    $("dashboard").hidden = false;
    const note = $("list-note");
    note.hidden = complete && user.role !== "admin";
    note.textContent = (user.role === "admin" ? "As an admin you see every restaurant. " : "") +
      (complete ? "" : `Only the first ${MAX_PAGES * PAGE_LIMIT} restaurants were looked at.`);
    $("no-restaurants").hidden = restaurants.length > 0;
    $("controls").hidden = restaurants.length === 0;
    fillPicker(restaurants);
    if (!restaurants.length) {
      $("report").hidden = true;
      say("");
      return;
    }
    const wanted = remembered();
    state.period = wanted.period || state.period;
    document.querySelector(`input[name="period"][value="${state.period}"]`).checked = true;
    const chosen = restaurants.find((restaurant) => restaurant.id === wanted.restaurant)
      || restaurants[0];
    $("restaurant").value = chosen.id;
    remember();
    await loadRestaurant(chosen);
  }

  async function signIn(event) {
    event.preventDefault();
    const button = $("sign-in-button");
    button.disabled = true;
    problem("");
    say("Signing in…");
    try {
      keepSession(await call("/auth/login", { method: "POST", signedIn: false, body: {
        email: $("email").value.trim(), password: $("password").value } }));
      $("password").value = "";
      await start();
      $("restaurant").focus();
    } catch (failure) {
      say("");
      problem(failure instanceof ApiProblem && failure.status === 401
        ? "The email or password is wrong." : explain(failure));
      if (!state.access) $("password").focus();
    } finally {
      button.disabled = false;
    }
  }

  async function signOut() {
    const refresh = state.refresh;
    forgetSession();
    state.restaurant = null;
    history.replaceState(null, "", location.pathname);
    showSignIn("Signed out.");
    if (refresh) {
      try {
        await call("/auth/logout", { method: "POST", signedIn: false,
                                     body: { refresh_token: refresh } });
      } catch {
        // the session ends anyway when its refresh token expires
      }
    }
  }

  function wire() {
    $("sign-in-form").addEventListener("submit", signIn);
    $("sign-out").addEventListener("click", signOut);
    $("controls").addEventListener("submit", (event) => event.preventDefault());
    $("restaurant").addEventListener("change", () => {
      const id = $("restaurant").value;
      const chosen = state.restaurants.find((restaurant) => restaurant.id === id);
      if (!chosen) return;
      state.restaurant = chosen;
      remember();
      loadRestaurant(chosen);
    });
    for (const radio of document.querySelectorAll('input[name="period"]')) {
      radio.addEventListener("change", () => {
        if (radio.checked) switchPeriod(radio.value);
      });
    }
  }

  async function boot() {
    wire();
    if (!window.Chart) {
      problem("The chart library did not load: charts cannot be drawn.");
    }
    const kept = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
    if (!kept) {
      showSignIn();
      return;
    }
    state.access = kept.access;
    state.refresh = kept.refresh;
    try {
      await start();
    } catch (failure) {
      if (await signedOutBy(failure)) return;
      say("");
      problem(explain(failure));
    }
  }

  boot();
})();
