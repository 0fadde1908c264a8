// The load profile of a trip: one stacked bar per leg (goods going out, produce coming back, room
// left, adding up to the capacity), drawn with Chart.js, the fullest leg marked in red.
/* global Chart */
import { h, kg, percent, stopName } from "./util.js";

export const COLORS = { down: "#2f6fdb", up: "#2e9b57", free: "#e3e7ee", fullest: "#d93025" };

// How full a leg is: the tightest of weight, volume and chilled weight (as the server counts).
function fill(leg) {
  const shares = ["weightG", "volumeCm3", "chilledG"]
    .filter((key) => leg.capacity[key] > 0)
    .map((key) => leg.used[key] / leg.capacity[key]);
  return shares.length ? Math.max(...shares) : 0;
}

export function legRows(trip) {
  const stops = [...trip.stops].sort((a, b) => a.seq - b.seq);
  return [...trip.legs].sort((a, b) => a.seq - b.seq).map((leg) => {
    const from = stops.find((s) => s.seq === leg.seq);
    const to = stops.find((s) => s.seq === leg.seq + 1);
    return {
      seq: leg.seq,
      from: from ? stopName(from) : "",
      to: to ? stopName(to) : "",
      downG: leg.down.weightG,
      upG: leg.up.weightG,
      usedG: leg.used.weightG,
      capacityG: leg.capacity.weightG,
      fill: fill(leg),
    };
  });
}

// The index of the fullest leg, or -1 when every leg is empty.
export function fullestIndex(rows) {
  let best = -1;
  rows.forEach((row, index) => {
    if (row.fill > 0 && (best < 0 || row.fill > rows[best].fill)) best = index;
  });
  return best;
}

function chartData(rows, fullest) {
  const border = rows.map((_, i) => (i === fullest ? COLORS.fullest : "transparent"));
  const common = { stack: "load", borderColor: border, borderWidth: 2, borderSkipped: false };
  return {
    labels: rows.map((row) => String(row.seq + 1)),
    datasets: [
      { ...common, label: "下行货物 goods out", data: rows.map((r) => r.downG / 1000),
        backgroundColor: COLORS.down },
      { ...common, label: "上行农产品 produce back", data: rows.map((r) => r.upG / 1000),
        backgroundColor: COLORS.up },
      { label: "剩余运力 room left", stack: "load", backgroundColor: COLORS.free,
        data: rows.map((r) => Math.max(r.capacityG - r.usedG, 0) / 1000) },
    ],
  };
}

// Draw (or redraw in place) the chart of `trip` in `holder`; returns the holder's legend line.
export function drawLoadChart(holder, trip) {
  const rows = legRows(trip);
  const fullest = fullestIndex(rows);
  let canvas = holder.querySelector("canvas");
  let chart = canvas && Chart.getChart(canvas);
  const data = chartData(rows, fullest);
  if (chart) {
    chart.data = data;
    chart.options.scales.x.ticks.color = (ctx) => (ctx.index === fullest ? COLORS.fullest : "#555");
    chart.update("none");
  } else {
    canvas = h("canvas", { role: "img", "aria-label": `load profile of ${trip.route.code}` });
    holder.replaceChildren(h("div", { class: "chart-box" }, canvas));
    chart = new Chart(canvas, {
      type: "bar",
      data,
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: {
            stacked: true,
            grid: { display: false },
            ticks: { color: (ctx) => (ctx.index === fullest ? COLORS.fullest : "#555"),
              autoSkip: true, maxRotation: 0, font: { size: 10 } },
          },
          y: {
            stacked: true,
            beginAtZero: true,
            ticks: { font: { size: 10 }, maxTicksLimit: 4 },
            title: { display: true, text: "kg", font: { size: 10 } },
          },
        },
        plugins: {
          legend: { display: false }, // one legend for all trips, in the toolbar
          tooltip: {
            callbacks: {
              label: (item) => `${item.dataset.label}: ${item.parsed.y.toFixed(1)} kg`,
            },
          },
        },
      },
    });
  }
  // The tooltip names the leg's stops, from the latest draw.
  chart.options.plugins.tooltip.callbacks.title = (items) => {
    const row = rows[items[0].dataIndex];
    return row ? `${row.seq + 1}. ${row.from} → ${row.to}` : "";
  };
  holder.append(legTable(rows, fullest, holder));
  return { rows, fullest };
}

// The same numbers as a table for screen readers (and for anyone who wants the figures).
function legTable(rows, fullest, holder) {
  holder.querySelector(".legs-wrap")?.remove();
  // Wrapped: a table ignores the 1px width of .sr-only and would widen the page.
  return h("div", { class: "legs-wrap sr-only" }, h("table", { class: "legs" },
    h("caption", null, "各路段载重 load per leg (kg)"),
    h("thead", null, h("tr", null, h("th", null, "路段 leg"), h("th", null, "下行 out"),
      h("th", null, "上行 back"), h("th", null, "运力 capacity"), h("th", null, "满载 fill"))),
    h("tbody", null, rows.map((row, i) => h("tr", {
      dataset: { leg: row.seq, downG: row.downG, upG: row.upG, usedG: row.usedG,
        fullest: i === fullest ? "true" : "false" },
    }, h("td", null, `${row.seq + 1}. ${row.from} → ${row.to}`), h("td", null, kg(row.downG)),
    h("td", null, kg(row.upG)), h("td", null, kg(row.capacityG)),
    h("td", null, percent(row.fill)))))));
}
