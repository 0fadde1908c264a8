// The live feed: events as they come, newest first, each once (one event can reach us on two
// subscriptions, e.g. a bus arriving is on the trip's stream and on the station's).
import { eventLabel, h, hhmmss } from "./util.js";

const KEEP = 80;

export class Feed {
  constructor(list) {
    this.list = list;
    this.seen = new Set();
  }

  clear() {
    this.seen.clear();
    this.list.replaceChildren();
  }

  add(event) {
    if (this.seen.has(event.id)) return false;
    this.seen.add(event.id);
    const route = event.trip?.route?.code;
    const family = event.kind.split("_")[0].toLowerCase();
    const item = h("li", { class: `event e-${family}`, dataset: { kind: event.kind } },
      h("time", { datetime: event.at }, hhmmss(event.at)),
      route ? h("span", { class: "route-chip" }, route) : null,
      h("span", { class: "kind" }, eventLabel(event.kind)),
      h("span", { class: "message" }, event.message));
    this.list.prepend(item);
    while (this.list.children.length > KEEP) this.list.lastElementChild.remove();
    return true;
  }
}
