// Small helpers shared by the views: building DOM safely, bilingual labels, and dates and times
// in the service time zone (the county's clock, whatever the browser's own zone is).

export const config = { timeZone: "Asia/Shanghai", demo: false, demoAccounts: null };

export async function loadConfig() {
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    if (response.ok) Object.assign(config, await response.json());
  } catch {
    // The board still works without it: Shanghai time and no demo hint.
  }
}

// Build an element. Text is always set as text (never parsed as HTML), so names typed by users
// cannot inject markup.
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

// A Chinese label with its English beside it, e.g. bi("发车", "Departed").
export function bi(zh, en) {
  return h("span", { class: "bi" }, zh, en ? h("small", { lang: "en" }, en) : null);
}

export const TRIP_STATUS = {
  SCHEDULED: ["待发车", "Scheduled"],
  IN_PROGRESS: ["运行中", "On the road"],
  COMPLETED: ["已收车", "Completed"],
  CANCELLED: ["已取消", "Cancelled"],
};

export const ORDER_STATUS = {
  PLACED: ["已下单", "Placed"],
  CONFIRMED: ["已确认", "Confirmed"],
  LOADED: ["已装车", "Loaded"],
  IN_TRANSIT: ["运输中", "In transit"],
  AT_STATION: ["待取货", "At station"],
  PICKED_UP: ["已取货", "Picked up"],
  CANCELLED: ["已取消", "Cancelled"],
};

export const PURCHASE_STATUS = {
  RESERVED: ["待交货", "Reserved"],
  HANDED_OVER: ["已交站", "Handed over"],
  IN_TRANSIT: ["运输中", "In transit"],
  AT_HUB: ["已到枢纽", "At hub"],
  COLLECTED: ["已提货", "Collected"],
  CANCELLED: ["已取消", "Cancelled"],
};

const TRIP_EVENTS = {
  DEPARTED: ["发车", "Departed"],
  ARRIVED: ["到站", "Arrived"],
  LEFT: ["离站", "Left"],
  DELAYED: ["晚点", "Delayed"],
  COMPLETED: ["收车", "Completed"],
  CANCELLED: ["取消", "Cancelled"],
};

export function statusBadge(map, status) {
  const [zh, en] = map[status] || [status, ""];
  return h("span", { class: `badge s-${String(status).toLowerCase()}`, dataset: { status } },
    bi(zh, en));
}

// A DeliveryEvent's kind (TRIP_ARRIVED, ORDER_AT_STATION, PURCHASE_HANDED_OVER, ...) for people.
export function eventLabel(kind) {
  if (kind.startsWith("TRIP_")) {
    const [zh, en] = TRIP_EVENTS[kind.slice(5)] || [kind, ""];
    return bi(zh, en);
  }
  if (kind.startsWith("ORDER_")) {
    const [zh, en] = ORDER_STATUS[kind.slice(6)] || [kind.slice(6), ""];
    return bi(`订单${zh}`, `Order ${en.toLowerCase()}`);
  }
  if (kind.startsWith("PURCHASE_")) {
    const [zh, en] = PURCHASE_STATUS[kind.slice(9)] || [kind.slice(9), ""];
    return bi(`农产品${zh}`, `Produce ${en.toLowerCase()}`);
  }
  return bi(kind, "");
}

function formatter(options) {
  return new Intl.DateTimeFormat("zh-CN", { timeZone: config.timeZone, hour12: false, ...options });
}

export function hhmm(iso) {
  return iso ? formatter({ hour: "2-digit", minute: "2-digit" }).format(new Date(iso)) : "";
}

export function hhmmss(iso) {
  return iso
    ? formatter({ hour: "2-digit", minute: "2-digit", second: "2-digit" }).format(new Date(iso))
    : "";
}

// Minutes from `a` to `b` (ISO strings), rounded.
export function minutesBetween(a, b) {
  return Math.round((new Date(b) - new Date(a)) / 60000);
}

// Today's date (YYYY-MM-DD) on the service clock.
export function today() {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: config.timeZone, year: "numeric", month: "2-digit", day: "2-digit",
  }).format(new Date());
  return parts.slice(0, 10);
}

export function addDays(date, days) {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export function kg(grams) {
  const value = grams / 1000;
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

export function yuan(fen) {
  return `¥${(fen / 100).toFixed(2)}`;
}

export function percent(share) {
  // A first crate on a big bus is well under 1 %: say so rather than "0%".
  if (share > 0 && share < 0.005) return "<1%";
  return `${Math.round(share * 100)}%`;
}

// "湖南村服务站" -> "湖南村": every stop is a service station, so the suffix only takes room.
export function shortStation(name) {
  return name.replace(/服务站$/, "");
}

export function stopName(stop) {
  return stop.station ? shortStation(stop.station.name) : "枢纽";
}

// Run `fn` once, `ms` after the last of a burst of calls.
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
