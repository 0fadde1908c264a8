// The dispatch board: sign in, then the dispatcher's view (DISPATCHER, ADMIN) or the station
// leader's view (LEADER), or both as tabs. Built only on the public GraphQL API.
import { ApiError, auth, closeLive, gql, mutate, onLiveState, whenSignedOut } from "./api.js";
import { DispatchView } from "./dispatch.js";
import { LOGIN, VIEWER } from "./queries.js";
import { StationView } from "./station.js";
import { bi, config, h, loadConfig, today } from "./util.js";

const main = document.getElementById("main");
const who = document.getElementById("who");
const tabs = document.getElementById("tabs");
const liveBadge = document.getElementById("live");

let viewer = null;
let views = {};
let current = null;

function route() {
  const [name, date] = location.hash.replace(/^#/, "").split("/");
  return { name, date: /^\d{4}-\d{2}-\d{2}$/.test(date || "") ? date : null };
}

function renderLive(state) {
  const labels = {
    connected: ["实时", "live"],
    connecting: ["连接中", "connecting"],
    closed: ["已断开", "offline"],
    off: ["未连接", "not live"],
  };
  const [zh, en] = labels[state] || labels.off;
  liveBadge.className = `live l-${state}`;
  liveBadge.dataset.state = state;
  liveBadge.replaceChildren(h("span", { class: "pulse", "aria-hidden": "true" }), bi(zh, en));
}

function showLogin(notice = "") {
  for (const view of Object.values(views)) view.hide();
  views = {};
  current = null;
  tabs.replaceChildren();
  tabs.hidden = true;
  who.replaceChildren();
  const phone = h("input", {
    id: "phone", name: "phone", type: "tel", inputmode: "numeric", autocomplete: "username",
    required: true, placeholder: "13800000001",
  });
  const password = h("input", {
    id: "password", name: "password", type: "password", autocomplete: "current-password",
    required: true,
  });
  const message = h("p", { class: "form-message error", role: "alert" }, notice);
  const submit = h("button", { type: "submit", class: "primary" }, bi("登录", "Sign in"));
  const form = h("form", {
    class: "login card", id: "login",
    onsubmit: async (event) => {
      event.preventDefault();
      submit.disabled = true;
      message.replaceChildren();
      try {
        const payload = await mutate(LOGIN, {
          input: { phone: phone.value.trim(), password: password.value },
        }, "login");
        auth.token = payload.token;
        viewer = (await gql(VIEWER)).viewer;
        start();
      } catch (error) {
        message.replaceChildren(error instanceof ApiError ? error.message : String(error));
        submit.disabled = false;
      }
    },
  },
  h("h2", null, bi("登录", "Sign in")),
  h("label", { for: "phone" }, bi("手机号", "Phone")), phone,
  h("label", { for: "password" }, bi("密码", "Password")), password,
  submit, message,
  demoHint(phone, password));
  main.replaceChildren(form);
  phone.focus();
}

// In demo mode the sign-in form offers the demo accounts (and fills them in on a tap).
function demoHint(phone, password) {
  const accounts = config.demo && config.demoAccounts;
  if (!accounts) return null;
  const pick = (number) => h("button", {
    type: "button", class: "chip",
    onclick: () => {
      phone.value = number;
      password.value = accounts.password;
    },
  }, number);
  return h("aside", { class: "demo-hint", id: "demo-hint" },
    h("h3", null, bi("演示账号", "Demo accounts")),
    h("p", null, bi("调度员", "dispatcher"), " ", pick(accounts.dispatcher)),
    h("p", null, bi("站长", "station leader"), " ", pick(accounts.leader),
      h("small", { class: "muted" }, " 1390000SSSS = 第 SSSS 站 station SSSS")),
    h("p", null, bi("密码", "password"), " ", h("code", null, accounts.password)));
}

function start() {
  if (!viewer) return showLogin();
  const roles = viewer.roles || [];
  const canDispatch = roles.includes("DISPATCHER") || roles.includes("ADMIN");
  const canLead = roles.includes("LEADER") && viewer.station;
  views = {};
  const sections = [];
  if (canDispatch) {
    const root = h("section", { class: "view", id: "dispatch-view" });
    views.dispatch = new DispatchView(root);
    sections.push(root);
  }
  if (canLead) {
    const root = h("section", { class: "view", id: "station-view" });
    views.station = new StationView(root, viewer.station);
    sections.push(root);
  }
  who.replaceChildren(
    h("span", { class: "who-name", id: "who-name" }, viewer.name),
    h("button", { type: "button", class: "ghost", id: "sign-out",
      onclick: () => signOut() }, bi("退出", "Sign out")));
  if (!sections.length) {
    main.replaceChildren(h("p", { class: "card hint" },
      bi("看板供调度员和站长使用", "The board is for dispatchers and station leaders")));
    return;
  }
  main.replaceChildren(...sections);
  const names = Object.keys(views);
  tabs.hidden = names.length < 2;
  tabs.replaceChildren(...names.map((name) => h("button", {
    type: "button", class: "tab", dataset: { view: name },
    onclick: () => openView(name, today()),
  }, name === "dispatch" ? bi("调度", "Dispatch") : bi("本站", "My station"))));
  const wanted = route();
  openView(views[wanted.name] ? wanted.name : names[0], wanted.date || today());
}

function openView(name, date) {
  if (current && current !== name) views[current].hide();
  current = name;
  for (const [key, view] of Object.entries(views)) view.root.hidden = key !== name;
  for (const tab of tabs.children) tab.classList.toggle("active", tab.dataset.view === name);
  views[name].show(date);
}

function signOut(notice = "") {
  // Stop the views' subscriptions before closing their sockets, so none tries to resume.
  for (const view of Object.values(views)) view.hide();
  views = {};
  auth.token = null;
  viewer = null;
  closeLive();
  history.replaceState(null, "", location.pathname);
  showLogin(notice);
}

window.addEventListener("hashchange", () => {
  const wanted = route();
  if (viewer && views[wanted.name]) {
    const view = views[wanted.name];
    if (wanted.name !== current || (wanted.date && wanted.date !== view.date)) {
      openView(wanted.name, wanted.date || today());
    }
  }
});

async function boot() {
  await loadConfig();
  whenSignedOut(() => signOut("登录已过期，请重新登录 · Please sign in again"));
  onLiveState(renderLive);
  if (auth.token) {
    try {
      viewer = (await gql(VIEWER)).viewer;
    } catch {
      viewer = null;
    }
  }
  if (viewer) start();
  else showLogin();
  document.body.dataset.ready = "true";
}

boot();
