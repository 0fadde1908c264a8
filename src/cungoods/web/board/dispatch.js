// The dispatcher's view: every trip of a date as a line of its stops with its bus, the load
// profile of its legs, the pick list and loading plan of a chosen trip, and a live feed. It
// follows each trip (tripUpdates) and each station on the trips (stationUpdates: orders and
// produce change the load), and redraws a trip from the copy each event brings.
import { ApiError, follow, gql, onLiveState, sheetLinks } from "./api.js";
import { Feed } from "./feed.js";
import { COLORS, drawLoadChart } from "./loadchart.js";
import { PLANS, STATION_UPDATES, TRIP_UPDATES, TRIPS } from "./queries.js";
import { renderRouteLine } from "./routeline.js";
import {
  TRIP_STATUS, addDays, bi, debounce, h, hhmm, kg, percent, statusBadge, today,
} from "./util.js";

const SPACE = { AMBIENT: ["常温", "ambient"], CHILLED: ["冷藏", "chilled"] };
const TEMPERATURE = { AMBIENT: "常温", CHILLED: "冷藏", FROZEN: "冷冻" };

function byRoute(a, b) {
  return a.route.code.localeCompare(b.route.code, "en", { numeric: true }) ||
    a.departsAt.localeCompare(b.departsAt);
}

export class DispatchView {
  constructor(root) {
    this.root = root;
    this.date = null;
    this.generation = 0;
    this.trips = new Map();
    this.cards = new Map();
    this.selected = null;
    this.stops = [];
    this.build();
    this.refreshPlans = debounce(() => this.loadPlans(), 300);
  }

  build() {
    this.dateInput = h("input", {
      type: "date", id: "dispatch-date", name: "date",
      onchange: () => this.dateInput.value && this.show(this.dateInput.value),
    });
    this.summary = h("span", { class: "summary", "aria-live": "polite" });
    this.tripList = h("div", { class: "trips", id: "trips" });
    this.plans = h("section", { class: "panel plans", id: "plans" });
    const feedList = h("ol", { class: "feed-list", id: "feed" });
    this.feed = new Feed(feedList);
    this.root.replaceChildren(
      h("div", { class: "toolbar" },
        h("label", null, bi("日期", "Date"), this.dateInput),
        h("button", { type: "button", class: "ghost", onclick: () => this.show(today()) },
          bi("今天", "Today")),
        h("button", { type: "button", class: "ghost",
          onclick: () => this.show(addDays(today(), 1)) }, bi("明天", "Tomorrow")),
        this.summary,
        legend()),
      h("div", { class: "dispatch-grid" },
        this.tripList,
        h("aside", { class: "side" },
          this.plans,
          h("section", { class: "panel feed" },
            h("h2", null, bi("实时动态", "Live feed")), feedList))));
  }

  async show(date) {
    this.stopFollowing();
    const generation = ++this.generation; // a later show() wins over this one
    this.date = date;
    this.dateInput.value = date;
    history.replaceState(null, "", `#dispatch/${date}`);
    this.trips.clear();
    this.cards.clear();
    this.selected = null;
    this.plans.replaceChildren(h("p", { class: "hint" },
      bi("点「拣货/装车」查看班次的拣货单和装车顺序",
        "Choose “Pick & load” on a trip for its pick list and loading plan")));
    this.feed.clear();
    this.tripList.replaceChildren(h("p", { class: "hint" }, bi("加载中…", "Loading…")));
    let trips;
    try {
      trips = (await gql(TRIPS, { date })).trips;
    } catch (error) {
      if (generation === this.generation) {
        this.tripList.replaceChildren(h("p", { class: "error" }, error.message));
      }
      return;
    }
    if (generation !== this.generation) return; // shown again meanwhile
    trips.sort(byRoute);
    this.tripList.replaceChildren();
    if (!trips.length) {
      this.tripList.append(h("p", { class: "hint" }, bi("当日没有班次", "No trips on this date")));
    }
    for (const trip of trips) this.put(trip);
    this.updateSummary();
    this.followAll(trips);
  }

  hide() {
    this.stopFollowing();
  }

  stopFollowing() {
    for (const stop of this.stops) stop();
    this.stops = [];
  }

  followAll(trips) {
    const onData = (data) => this.onEvent(data.tripUpdates || data.stationUpdates);
    const options = { onResumed: debounce(() => this.reload(), 500) };
    // Orders and produce are not on the trip's stream (it is open to anyone signed in): they
    // reach the stations' streams, which dispatchers may follow.
    const stations = new Set();
    for (const trip of trips) {
      for (const stop of trip.stops) if (stop.station) stations.add(stop.station.id);
    }
    for (const id of stations) {
      this.stops.push(follow(STATION_UPDATES, { id }, onData, options));
    }
    // The trips last, in route order: once the last route's stream speaks, the server has
    // taken every subscription before it (they are sent, and started, in this order).
    for (const trip of trips) {
      this.stops.push(follow(TRIP_UPDATES, { id: trip.id }, onData, options));
    }
    // After the connection dropped and came back, refetch what may have changed meanwhile.
    this.stops.push(onLiveState((state, wasRetry) => {
      if (state === "connected" && wasRetry) this.reload();
    }));
  }

  // Refetch the trips of the shown date without following them again.
  async reload() {
    const { date, generation } = this;
    try {
      const trips = (await gql(TRIPS, { date })).trips;
      if (generation !== this.generation) return;
      for (const trip of trips) if (this.trips.has(trip.id)) this.put(trip);
      this.updateSummary();
      if (this.selected) this.refreshPlans();
    } catch {
      // The next event or reconnect tries again.
    }
  }

  onEvent(event) {
    if (!event) return;
    const trip = event.trip;
    if (trip && trip.serviceDate !== this.date) return; // another day at the same station
    this.feed.add(event);
    if (trip && this.trips.has(trip.id)) {
      this.put(trip);
      this.updateSummary();
      if (this.selected === trip.id) this.refreshPlans();
    }
  }

  updateSummary() {
    const trips = [...this.trips.values()];
    const running = trips.filter((t) => t.status === "IN_PROGRESS").length;
    this.summary.replaceChildren(
      bi(`${trips.length} 条线路`, `${trips.length} routes`), " · ",
      bi(`${running} 辆在途`, `${running} on the road`));
  }

  // Draw a trip (first time) or redraw it in place (its chart keeps its canvas).
  put(trip) {
    this.trips.set(trip.id, trip);
    let card = this.cards.get(trip.id);
    if (!card) {
      card = {
        root: h("article", { class: "trip card", dataset: { tripId: trip.id } }),
        header: h("header"),
        line: h("div", { class: "line-holder" }),
        loadHead: h("p", { class: "load-head" }),
        chart: h("div", { class: "chart-holder" }),
      };
      card.root.append(card.header, card.line,
        h("div", { class: "load" }, card.loadHead, card.chart));
      this.cards.set(trip.id, card);
      this.tripList.append(card.root); // show() puts the day's trips in route order
    }
    Object.assign(card.root.dataset, { route: trip.route.code, status: trip.status });
    card.root.classList.toggle("selected", this.selected === trip.id);
    const delay = trip.delayMinutes > 0
      ? h("span", { class: "delay" }, bi(`晚点 ${trip.delayMinutes} 分`, `${trip.delayMinutes} min late`))
      : null;
    card.header.replaceChildren(
      h("h3", null, h("span", { class: "route-chip" }, trip.route.code), " ", trip.route.name),
      h("div", { class: "meta" },
        statusBadge(TRIP_STATUS, trip.status),
        h("span", null, trip.vehicle.plate),
        trip.driver ? h("span", null, bi("司机", "driver"), " ", trip.driver.name,
          trip.driver.phone ? h("a", { href: `tel:${trip.driver.phone}`, class: "phone" },
            trip.driver.phone) : null) : null,
        h("span", null, bi("发车", "departs"), " ", hhmm(trip.departsAt)),
        delay,
        h("button", {
          type: "button", class: "plans-btn",
          onclick: () => this.select(trip.id),
        }, bi("拣货/装车", "Pick & load"))));
    const line = renderRouteLine(trip);
    card.line.replaceChildren(line.element, line.summary);
    const { rows, fullest } = drawLoadChart(card.chart, trip);
    const util = trip.utilization;
    card.loadHead.replaceChildren(
      bi("载重", "Load"), " ",
      h("span", { class: "down" }, bi(`下行 ${percent(util.down)}`, "out")), " ",
      h("span", { class: "up" }, bi(`上行 ${percent(util.up)}`, "back")), " ",
      fullest >= 0
        ? h("span", { class: "fullest", dataset: { leg: rows[fullest].seq } },
          bi(`最满 第${rows[fullest].seq + 1}段 ${rows[fullest].from}→${rows[fullest].to} ` +
            `${percent(rows[fullest].fill)}`, "fullest leg"))
        : h("span", { class: "muted" }, bi("空车", "empty")));
  }

  select(tripId) {
    this.selected = tripId;
    for (const [id, card] of this.cards) card.root.classList.toggle("selected", id === tripId);
    this.plans.replaceChildren(h("p", { class: "hint" }, bi("加载中…", "Loading…")));
    this.loadPlans();
    if (window.matchMedia("(max-width: 900px)").matches) {
      this.plans.scrollIntoView({ behavior: "smooth", block: "start" });
    }
  }

  async loadPlans() {
    const tripId = this.selected;
    const trip = this.trips.get(tripId);
    if (!trip) return;
    let data;
    try {
      data = await gql(PLANS, { id: tripId });
    } catch (error) {
      if (this.selected === tripId) {
        this.plans.replaceChildren(h("p", { class: "error" },
          error instanceof ApiError ? error.message : String(error)));
      }
      return;
    }
    if (this.selected !== tripId) return;
    this.plans.replaceChildren(...renderPlans(trip, data.pickList, data.loadingPlan));
  }
}

// What the colours of the load charts mean (one legend for every trip's chart).
function legend() {
  const key = (color, zh, en) => h("span", { class: "key" },
    h("i", { style: `background: ${color}` }), bi(zh, en));
  return h("span", { class: "legend", "aria-hidden": "true" },
    key(COLORS.down, "下行货物", "goods out"), key(COLORS.up, "上行农产品", "produce back"),
    key(COLORS.free, "剩余运力", "room left"), key(COLORS.fullest, "最满路段", "fullest leg"));
}

function renderPlans(trip, pick, plan) {
  const title = h("h2", null, h("span", { class: "route-chip" }, trip.route.code), " ",
    bi("拣货单", "Pick list"), h("small", { class: "muted" }, ` ${trip.serviceDate}`));
  const totals = h("p", { class: "muted" },
    bi(`${pick.orderCount} 单`, "orders"), " · ",
    bi(`${kg(pick.load.weightG)} kg`, "to load"));
  const pickSheets = sheetLinks(h, bi, `/sheets/trips/${trip.id}/pick-list`,
    `pick-list-${trip.route.code}-${trip.serviceDate}`);
  const products = pick.products.length
    ? h("table", { class: "grid pick-list" },
      h("thead", null, h("tr", null, h("th", null, bi("商品", "Product")),
        h("th", { class: "num" }, bi("数量", "Qty")), h("th", { class: "num" }, bi("订单", "Orders")),
        h("th", { class: "num" }, "kg"))),
      h("tbody", null, pick.products.map((line) => h("tr", { dataset: { sku: line.product.sku } },
        h("td", null, line.product.name,
          h("small", { class: "muted" }, ` ${TEMPERATURE[line.product.temperature] || ""}`)),
        h("td", { class: "num" }, `${line.quantity} ${line.product.unit}`),
        h("td", { class: "num" }, line.orders),
        h("td", { class: "num" }, kg(line.load.weightG))))))
    : h("p", { class: "hint" }, bi("还没有要拣的货", "Nothing to pick yet"));

  const steps = plan.steps.length
    ? h("ol", { class: "loading-steps" }, plan.steps.map((step) => {
      const [zh, en] = SPACE[step.space] || [step.space, ""];
      return h("li", { dataset: { step: step.step } },
        h("span", { class: "step" }, step.step),
        h("span", { class: `space sp-${step.space.toLowerCase()}` }, bi(zh, en)),
        h("span", { class: "crate" }, step.crate.station.name,
          h("small", { class: "muted" },
            ` · ${step.crate.units} 件 · ${kg(step.crate.load.weightG)} kg · ` +
            `${step.crate.orders.length} 单`)));
    }))
    : h("p", { class: "hint" }, bi("没有要装的箱", "No crates to load"));

  const collections = plan.collections.length
    ? h("ul", { class: "collections" }, plan.collections.map((stop) => h("li", null,
      h("strong", null, stop.station.name), " ",
      h("small", { class: "muted" }, `${kg(stop.load.weightG)} kg`), " — ",
      stop.produce.map((p) => `${p.title} ${p.quantity}${p.unit} (${p.farmer.name})`).join("、"))))
    : h("p", { class: "hint" }, bi("回程没有要收的农产品", "No produce to collect"));

  return [
    title, totals, pickSheets, products,
    h("h3", null, bi("装车顺序", "Loading order"),
      h("small", { class: "muted" }, " 先装最后一站 last stop first")),
    sheetLinks(h, bi, `/sheets/trips/${trip.id}/loading-plan`,
      `loading-plan-${trip.route.code}-${trip.serviceDate}`),
    steps,
    h("h3", null, bi("回程收货", "Produce to collect")),
    collections,
  ];
}
