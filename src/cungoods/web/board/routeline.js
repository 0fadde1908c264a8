// A trip drawn as a line of its stops (hub, stations, hub), the bus where its last event put it,
// the actual time at the stops it has passed and the expected time at each later one.
import { bi, h, hhmm, minutesBetween, stopName } from "./util.js";

const BUS_SVG = `<svg viewBox="0 0 32 24" aria-hidden="true" focusable="false">
<rect x="1" y="2" width="30" height="17" rx="4" fill="currentColor"/>
<rect x="4" y="5" width="7" height="6" rx="1" fill="#fff"/>
<rect x="13" y="5" width="7" height="6" rx="1" fill="#fff"/>
<rect x="22" y="5" width="6" height="6" rx="1" fill="#fff"/>
<circle cx="8" cy="20" r="3" fill="#222"/><circle cx="24" cy="20" r="3" fill="#222"/>
</svg>`;

// Where the bus is: `pos` counts stops from 0 (the hub) with .5 for "on the leg after it";
// `where` is "stop-SEQ" or "leg-SEQ" (the leg from stop SEQ to SEQ + 1).
export function busPosition(trip) {
  const stops = [...trip.stops].sort((a, b) => a.seq - b.seq);
  let pos = 0;
  let where = `stop-${stops[0]?.seq ?? 0}`;
  let moving = false;
  stops.forEach((stop, index) => {
    if (stop.departedAt && index < stops.length - 1) {
      pos = index + 0.5;
      where = `leg-${stop.seq}`;
      moving = true;
    } else if (stop.arrivedAt) {
      pos = index;
      where = `stop-${stop.seq}`;
      moving = false;
    }
  });
  return { pos, where, moving, stops };
}

function describe(trip, position) {
  const { stops, where } = position;
  if (trip.status === "CANCELLED") return bi("已取消", "cancelled");
  if (trip.status === "SCHEDULED") {
    return bi(`${hhmm(stops[0].expectedAt)} 发车`, `departs ${hhmm(stops[0].expectedAt)}`);
  }
  if (trip.status === "COMPLETED") return bi("已回到枢纽", "back at the hub");
  const seq = Number(where.split("-")[1]);
  const stop = stops.find((s) => s.seq === seq);
  if (where.startsWith("stop")) return bi(`停靠 ${stopName(stop)}`, `at ${stopName(stop)}`);
  const next = stops.find((s) => s.seq === seq + 1);
  return bi(
    `前往 ${stopName(next)} · ${hhmm(next.expectedAt)}`,
    `to ${stopName(next)}, expected ${hhmm(next.expectedAt)}`,
  );
}

export function renderRouteLine(trip, { highlightStationId = null } = {}) {
  const position = busPosition(trip);
  const { stops, pos } = position;
  const items = stops.map((stop, index) => {
    const passed = index < pos || (index === pos && trip.status === "COMPLETED");
    const here = index === pos && !passed && trip.status !== "SCHEDULED";
    let time;
    let title;
    if (passed || here) {
      const actual = stop.arrivedAt || stop.departedAt;
      time = h("time", { class: "actual", datetime: actual || "" }, hhmm(actual));
      title = `实际 actual ${hhmm(actual)} · 计划 planned ${hhmm(stop.plannedAt)}`;
    } else {
      const late = minutesBetween(stop.plannedAt, stop.expectedAt);
      time = h("time", { class: late > 0 ? "late" : "", datetime: stop.expectedAt },
        hhmm(stop.expectedAt));
      title = `预计 expected ${hhmm(stop.expectedAt)} · 计划 planned ${hhmm(stop.plannedAt)}` +
        (late > 0 ? ` · 晚 ${late} min late` : "");
    }
    const name = stop.station ? stop.station.name : "枢纽 Hub";
    const mine = highlightStationId && stop.station?.id === highlightStationId;
    return h("li", {
      class: ["stop", passed ? "passed" : "", here ? "here" : "", stop.isHub ? "hub" : "",
        mine ? "mine" : ""].filter(Boolean).join(" "),
      dataset: { seq: stop.seq },
      title: `${stop.seq}. ${name}\n${title}`,
    }, h("span", { class: "name" }, stopName(stop)), h("span", { class: "dot" }), time);
  });
  const bus = h("div", {
    class: `bus${position.moving ? " moving" : ""}`,
    dataset: { where: position.where, status: trip.status },
    role: "img",
    "aria-label": `bus ${position.where}`,
  });
  bus.innerHTML = BUS_SVG; // a constant, no data in it
  const line = h("div", {
    class: `routeline t-${trip.status.toLowerCase()}`,
    style: `--n: ${stops.length}; --pos: ${pos}`,
  },
  h("div", { class: "track" }, h("div", { class: "done" })),
  h("ol", { class: "stops" }, items),
  trip.status === "CANCELLED" ? null : bus);
  const wrap = h("div", { class: "routeline-wrap" }, line);
  // On a screen too narrow for the whole line, bring the bus into view once it is drawn.
  requestAnimationFrame(() => {
    if (wrap.isConnected && wrap.scrollWidth > wrap.clientWidth) {
      const cell = line.offsetWidth / stops.length;
      wrap.scrollLeft = Math.max(0, cell * (pos + 0.5) - wrap.clientWidth / 3);
    }
  });
  return {
    element: wrap,
    summary: h("p", { class: "where" }, describe(trip, position)),
    position,
  };
}
