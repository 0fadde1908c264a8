// The station leader's view: the bus (or buses) stopping at the leader's station on a date, when
// it comes (live), the orders to hand out with their status, the produce to take in, and the two
// confirmations the leader makes: a pickup code, and a farmer's handover.
import { ApiError, follow, gql, mutate, onLiveState, sheetLinks } from "./api.js";
import { Feed } from "./feed.js";
import {
  CONFIRM_HANDOVER, CONFIRM_PICKUP, MANIFEST, STATION_UPDATES, TRIP_UPDATES, TRIPS,
} from "./queries.js";
import { renderRouteLine } from "./routeline.js";
import {
  ORDER_STATUS, PURCHASE_STATUS, TRIP_STATUS, addDays, bi, debounce, h, hhmm, kg,
  minutesBetween, statusBadge, today, yuan,
} from "./util.js";

export class StationView {
  constructor(root, station) {
    this.root = root;
    this.station = station;
    this.date = null;
    this.generation = 0;
    this.trips = new Map();
    this.cards = new Map();
    this.stops = [];
    this.refetch = new Map(); // trip id -> debounced manifest refetch
    this.build();
  }

  build() {
    this.dateInput = h("input", {
      type: "date", id: "station-date", name: "date",
      onchange: () => this.dateInput.value && this.show(this.dateInput.value),
    });
    this.tripList = h("div", { class: "station-trips", id: "station-trips" });
    const feedList = h("ol", { class: "feed-list", id: "station-feed" });
    this.feed = new Feed(feedList);
    const s = this.station;
    this.root.replaceChildren(
      h("div", { class: "toolbar" },
        h("h2", { class: "station-name" }, s.name,
          h("small", { class: "muted" }, ` ${s.township} · ${s.village}`)),
        h("label", null, bi("日期", "Date"), this.dateInput),
        h("button", { type: "button", class: "ghost", onclick: () => this.show(today()) },
          bi("今天", "Today")),
        h("button", { type: "button", class: "ghost",
          onclick: () => this.show(addDays(today(), 1)) }, bi("明天", "Tomorrow")),
        s.pickupHours ? h("span", { class: "muted" }, bi(`取货时间 ${s.pickupHours}`, "pickup hours"))
          : null),
      h("div", { class: "station-grid" },
        this.tripList,
        h("aside", { class: "side" },
          h("section", { class: "panel feed" }, h("h2", null, bi("本站动态", "Station feed")),
            feedList))));
  }

  async show(date) {
    this.stopFollowing();
    const generation = ++this.generation; // a later show() wins over this one
    this.date = date;
    this.dateInput.value = date;
    history.replaceState(null, "", `#station/${date}`);
    this.trips.clear();
    this.cards.clear();
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
    const mine = trips.filter((trip) => this.stopOf(trip))
      .sort((a, b) => a.departsAt.localeCompare(b.departsAt));
    this.tripList.replaceChildren();
    if (!mine.length) {
      this.tripList.append(h("p", { class: "hint" },
        bi("这天没有班车到本站", "No bus stops here on this date")));
    }
    for (const trip of mine) this.put(trip);
    this.follow(mine);
  }

  hide() {
    this.stopFollowing();
  }

  stopFollowing() {
    for (const stop of this.stops) stop();
    this.stops = [];
  }

  stopOf(trip) {
    return trip.stops.find((stop) => stop.station?.id === this.station.id) || null;
  }

  follow(trips) {
    const onData = (data) => this.onEvent(data.tripUpdates || data.stationUpdates);
    const options = { onResumed: debounce(() => this.reload(), 500) };
    // The station's own stream: its orders, its produce, the bus at this stop.
    this.stops.push(follow(STATION_UPDATES, { id: this.station.id }, onData, options));
    // The trips' streams: where the bus is before it gets here, and delays.
    for (const trip of trips) this.stops.push(follow(TRIP_UPDATES, { id: trip.id }, onData, options));
    this.stops.push(onLiveState((state, wasRetry) => {
      if (state === "connected" && wasRetry) this.reload();
    }));
  }

  async reload() {
    const { date, generation } = this;
    try {
      const trips = (await gql(TRIPS, { date })).trips;
      if (generation !== this.generation) return;
      for (const trip of trips) if (this.cards.has(trip.id)) this.put(trip);
    } catch {
      // The next event or reconnect tries again.
    }
  }

  onEvent(event) {
    if (!event) return;
    const trip = event.trip;
    if (trip && trip.serviceDate !== this.date) return;
    this.feed.add(event);
    if (trip && this.cards.has(trip.id)) this.put(trip);
  }

  put(trip) {
    this.trips.set(trip.id, trip);
    let card = this.cards.get(trip.id);
    if (!card) {
      card = {
        root: h("article", { class: "card station-trip", dataset: { tripId: trip.id } }),
        header: h("header"),
        arrival: h("div", { class: "arrival", "aria-live": "polite" }),
        line: h("div", { class: "line-holder" }),
        orders: h("section", { class: "orders" }),
        produce: h("section", { class: "produce" }),
      };
      card.root.append(card.header, card.arrival, card.line, card.orders, card.produce);
      this.cards.set(trip.id, card);
      this.tripList.append(card.root);
      this.refetch.set(trip.id, debounce(() => this.loadManifest(trip.id), 200));
    }
    card.root.dataset.status = trip.status;
    card.header.replaceChildren(
      h("h3", null, h("span", { class: "route-chip" }, trip.route.code), " ", trip.route.name),
      h("div", { class: "meta" }, statusBadge(TRIP_STATUS, trip.status),
        h("span", null, trip.vehicle.plate),
        trip.driver ? h("span", null, bi("司机", "driver"), " ", trip.driver.name) : null));
    card.arrival.replaceChildren(...arrival(trip, this.stopOf(trip)));
    const line = renderRouteLine(trip, { highlightStationId: this.station.id });
    card.line.replaceChildren(line.element);
    this.refetch.get(trip.id)();
  }

  async loadManifest(tripId) {
    const card = this.cards.get(tripId);
    if (!card) return;
    let manifest;
    try {
      manifest = (await gql(MANIFEST, { trip: tripId, station: this.station.id })).stationManifest;
    } catch (error) {
      card.orders.replaceChildren(h("p", { class: "error" }, error.message));
      return;
    }
    if (this.cards.get(tripId) !== card) return; // the date changed meanwhile
    card.orders.replaceChildren(
      sheetLinks(h, bi, `/sheets/trips/${tripId}/stations/${this.station.id}/manifest`,
        `manifest-${this.station.code || this.station.id}`),
      ...this.renderOrders(manifest, tripId));
    card.produce.replaceChildren(...this.renderProduce(manifest, tripId));
  }

  renderOrders(manifest, tripId) {
    const heading = h("h4", null, bi("待发放订单", "Orders to hand out"),
      h("small", { class: "muted" }, ` ${manifest.orders.length} 单 · ${kg(manifest.handOut.weightG)} kg`));
    if (!manifest.orders.length) {
      return [heading, h("p", { class: "hint" }, bi("没有订单", "No orders"))];
    }
    const rows = manifest.orders.map((line) => {
      const message = h("span", { class: "form-message", "aria-live": "polite" });
      let action = null;
      if (line.status === "AT_STATION") {
        const code = h("input", {
          name: "pickupCode", inputmode: "numeric", autocomplete: "off", required: true,
          placeholder: "取货码 code", "aria-label": `pickup code of ${line.number}`,
          size: 8, maxlength: 12,
        });
        action = h("form", {
          class: "inline",
          onsubmit: async (event) => {
            event.preventDefault();
            await this.confirm(event.submitter || event.target.querySelector("button"), message,
              () => mutate(CONFIRM_PICKUP, {
                input: { orderId: line.order.id, pickupCode: code.value.trim() },
              }, "confirmPickup"), tripId, bi("已取货", "picked up"));
          },
        }, code, h("button", { type: "submit" }, bi("确认取货", "Confirm pickup")));
      }
      return h("tr", { dataset: { order: line.number, status: line.status } },
        h("td", null, h("strong", null, line.number), h("br"),
          h("small", { class: "muted" }, line.buyer.name)),
        h("td", null, line.lines.map((l) => `${l.product.name}×${l.quantity}`).join("、"),
          h("br"), h("small", { class: "muted" }, yuan(line.totalFen))),
        h("td", null, statusBadge(ORDER_STATUS, line.status)),
        h("td", { class: "action" }, action, message));
    });
    return [heading, h("table", { class: "grid manifest-orders" },
      h("thead", null, h("tr", null, h("th", null, bi("订单", "Order")),
        h("th", null, bi("商品", "Goods")), h("th", null, bi("状态", "Status")),
        h("th", null, bi("操作", "Action")))),
      h("tbody", null, rows))];
  }

  renderProduce(manifest, tripId) {
    const heading = h("h4", null, bi("待收农产品", "Produce to take in"),
      h("small", { class: "muted" }, ` ${manifest.produce.length} 批 · ${kg(manifest.takeIn.weightG)} kg`));
    if (!manifest.produce.length) {
      return [heading, h("p", { class: "hint" }, bi("没有要收的农产品", "No produce to take in"))];
    }
    const rows = manifest.produce.map((item) => {
      const message = h("span", { class: "form-message", "aria-live": "polite" });
      let action = null;
      if (item.status === "RESERVED") {
        const quantity = h("input", {
          name: "quantity", type: "number", min: 1, max: item.quantity, value: String(item.quantity),
          "aria-label": `quantity handed over for ${item.number}`, class: "qty",
        });
        action = h("form", {
          class: "inline",
          onsubmit: async (event) => {
            event.preventDefault();
            await this.confirm(event.submitter || event.target.querySelector("button"), message,
              () => mutate(CONFIRM_HANDOVER, {
                input: { purchaseId: item.purchase.id, quantity: Number(quantity.value) },
              }, "confirmHandover"), tripId, bi("已收货", "taken in"));
          },
        }, quantity, h("button", { type: "submit" }, bi("确认交货", "Confirm handover")));
      }
      const handed = item.purchase.handedOverQuantity;
      return h("tr", { dataset: { purchase: item.number, status: item.status } },
        h("td", null, h("strong", null, item.number), h("br"),
          h("small", { class: "muted" }, item.farmer.name)),
        h("td", null, `${item.title} ${item.quantity}${item.unit}`,
          handed != null && handed !== item.quantity
            ? h("small", { class: "muted" }, ` (交 ${handed})`) : null,
          h("br"), h("small", { class: "muted" }, `${kg(item.weightG)} kg`)),
        h("td", null, statusBadge(PURCHASE_STATUS, item.status)),
        h("td", { class: "action" }, action, message));
    });
    return [heading, h("table", { class: "grid manifest-produce" },
      h("thead", null, h("tr", null, h("th", null, bi("单号", "Purchase")),
        h("th", null, bi("农产品", "Produce")), h("th", null, bi("状态", "Status")),
        h("th", null, bi("操作", "Action")))),
      h("tbody", null, rows))];
  }

  // Send one confirmation; show its UserError beside the button, or refresh the manifest.
  async confirm(button, message, send, tripId, done) {
    if (button) button.disabled = true;
    message.className = "form-message";
    delete message.dataset.code;
    message.replaceChildren();
    try {
      await send();
      message.classList.add("ok");
      message.replaceChildren(done);
      this.refetch.get(tripId)?.();
    } catch (error) {
      message.classList.add("error");
      message.dataset.code = error.code || "";
      message.replaceChildren(error instanceof ApiError ? error.message : String(error));
      if (button) button.disabled = false;
    }
  }
}

// When the bus comes to this station: a big line for the leader.
function arrival(trip, stop) {
  if (!stop) return [];
  const late = minutesBetween(stop.plannedAt, stop.expectedAt);
  const lateNote = late > 0
    ? h("span", { class: "delay" }, bi(` 晚 ${late} 分`, `${late} min late`)) : null;
  let text;
  let state;
  if (trip.status === "CANCELLED") {
    state = "cancelled";
    text = bi("班车已取消", "This trip is cancelled");
  } else if (stop.departedAt) {
    state = "left";
    text = bi(`班车已于 ${hhmm(stop.departedAt)} 离开`, `The bus left at ${hhmm(stop.departedAt)}`);
  } else if (stop.arrivedAt) {
    state = "here";
    text = bi(`班车已到站 ${hhmm(stop.arrivedAt)}`, `The bus is here since ${hhmm(stop.arrivedAt)}`);
  } else if (trip.status === "IN_PROGRESS") {
    state = "coming";
    text = bi(`班车在路上，预计 ${hhmm(stop.expectedAt)} 到站`,
      `On its way, expected at ${hhmm(stop.expectedAt)}`);
  } else {
    state = "scheduled";
    text = bi(`预计 ${hhmm(stop.expectedAt)} 到站（${hhmm(trip.departsAt)} 从枢纽发车）`,
      `Expected at ${hhmm(stop.expectedAt)}, leaves the hub at ${hhmm(trip.departsAt)}`);
  }
  return [h("p", { class: `arrival-line a-${state}`, dataset: { state } }, text, lateNote)];
}
