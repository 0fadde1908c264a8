// The board's only ways to the server: GraphQL over HTTP (queries, mutations) and
// graphql-transport-ws (subscriptions), both on /graphql, both with the signed-in user's token.
/* global graphqlWs */

const TOKEN_KEY = "cungoods.board.token";
const HTTP_URL = new URL("../graphql", document.baseURI);
const WS_URL = new URL(HTTP_URL);
WS_URL.protocol = HTTP_URL.protocol === "https:" ? "wss:" : "ws:";

export const auth = {
  get token() {
    return localStorage.getItem(TOKEN_KEY);
  },
  set token(value) {
    if (value) localStorage.setItem(TOKEN_KEY, value);
    else localStorage.removeItem(TOKEN_KEY);
  },
};

// Called when the server no longer accepts our token (expired, or the key changed).
let onSignedOut = () => {};
export function whenSignedOut(callback) {
  onSignedOut = callback;
}

export class ApiError extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join("; ") || "request failed");
    this.errors = errors;
    this.code = errors[0]?.extensions?.code || errors[0]?.code || null;
  }
}

export async function gql(query, variables = {}) {
  const headers = {
    "Content-Type": "application/json",
    Accept: "application/graphql-response+json, application/json;q=0.9",
  };
  const token = auth.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(HTTP_URL, {
      method: "POST", headers, body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new ApiError([{ message: `网络错误 network error: ${error.message}` }]);
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError([{ message: `HTTP ${response.status}` }]);
  }
  if (body.errors?.length) {
    const error = new ApiError(body.errors);
    if (error.code === "UNAUTHENTICATED" && token) onSignedOut();
    throw error;
  }
  return body.data;
}

// A mutation's payload: its result, or its UserErrors thrown as one ApiError.
export async function mutate(query, variables, field) {
  const data = await gql(query, variables);
  const payload = data[field];
  if (payload.errors?.length) throw new ApiError(payload.errors);
  return payload;
}

// --- live updates ----------------------------------------------------------------------------
//
// The server takes at most 100 subscriptions on one connection (strawberry's default), and a
// dispatcher follows every station of the day (150 in the demo county) besides the trips, so the
// subscriptions are spread over as few sockets as hold them, PER_SOCKET each.

const PER_SOCKET = 90;
const sockets = [];
const liveListeners = new Set();
let liveState = "off";

// "off" without subscriptions; else the worst state of the sockets that carry some.
function aggregateState() {
  const busy = sockets.filter((socket) => socket.count > 0);
  if (!busy.length) return "off";
  for (const state of ["closed", "connecting"]) {
    if (busy.some((socket) => socket.state === state)) return state;
  }
  return busy.every((socket) => socket.state === "connected") ? "connected" : "connecting";
}

function announce(wasRetry = false) {
  const state = aggregateState();
  if (state === liveState && !wasRetry) return;
  liveState = state;
  for (const listener of liveListeners) listener(state, wasRetry);
}

// `listener(state, wasRetry)` hears "connecting", "connected", "closed" and "off"; `wasRetry`
// is true when a socket came back after it was lost (what it carried may have missed events).
export function onLiveState(listener) {
  liveListeners.add(listener);
  listener(liveState, false);
  return () => liveListeners.delete(listener);
}

function openSocket() {
  const socket = { count: 0, state: "connecting", client: null };
  socket.client = graphqlWs.createClient({
    url: WS_URL.href,
    connectionParams: () => ({ token: auth.token }),
    lazy: true,
    lazyCloseTimeout: 3000, // keep the socket over a change of date
    keepAlive: 15_000, // a ping now and then notices a dead connection (mobile networks)
    retryAttempts: Infinity,
    // Back off up to half a minute between attempts, not the library's unbounded 2^n seconds.
    retryWait: (retries) =>
      new Promise((resolve) => {
        setTimeout(resolve, Math.min(2 ** retries, 30) * 1000 + Math.random() * 1000);
      }),
    on: {
      connecting: () => {
        socket.state = "connecting";
        announce();
      },
      connected: (_socket, _payload, wasRetry) => {
        socket.state = "connected";
        announce(wasRetry);
      },
      closed: () => {
        socket.state = "closed";
        announce();
      },
    },
  });
  sockets.push(socket);
  return socket;
}

function take() {
  const socket = sockets.find((s) => s.count < PER_SOCKET) || openSocket();
  socket.count += 1;
  announce();
  return socket;
}

// Follow a subscription until `stop()` is called. `onData(data)` gets each event. The server
// ends subscriptions when it restarts (after delivering what it has), so a subscription that
// ends while we still want it is started again after a pause, and `onResumed()` lets the view
// refetch what it may have missed meanwhile.
export function follow(query, variables, onData, { onResumed = () => {}, onFailed } = {}) {
  let stopped = false;
  let dispose = () => {};
  let attempt = 0;
  const socket = take();
  const release = () => {
    socket.count -= 1;
    announce();
  };
  const start = () => {
    if (stopped) return;
    dispose = socket.client.subscribe({ query, variables }, {
      next: (result) => {
        attempt = 0;
        if (result.data) onData(result.data);
      },
      error: (error) => {
        const errors = Array.isArray(error) ? error : [error];
        const code = errors[0]?.extensions?.code;
        // Our token was refused (4401/4403): retrying will not help.
        if (error?.code === 4401 || error?.code === 4403 || code === "UNAUTHENTICATED") {
          stopped = true;
          release();
          onSignedOut();
          return;
        }
        // The server refused the operation itself (not allowed, not found): report it.
        if (Array.isArray(error)) {
          stopped = true;
          release();
          (onFailed || ((e) => console.warn("subscription refused:", e.message)))(
            new ApiError(errors));
          return;
        }
        restart();
      },
      complete: () => restart(),
    });
  };
  const restart = () => {
    if (stopped) return;
    attempt += 1;
    setTimeout(() => {
      if (stopped) return;
      start();
      onResumed();
    }, Math.min(2 ** attempt, 30) * 500);
  };
  start();
  return () => {
    if (stopped) return;
    stopped = true;
    dispose();
    release();
  };
}

export function closeLive() {
  for (const socket of sockets.splice(0)) socket.client.dispose();
  announce();
}

// A printable sheet (/sheets/...: CSV or a print page with crate QR codes), fetched with the
// token like every request, then opened in a new tab (HTML) or saved (CSV) from a blob: the
// token never goes into a URL, where logs and browser history would keep it.
export async function openSheet(path, filename) {
  const headers = {};
  if (auth.token) headers.Authorization = `Bearer ${auth.token}`;
  const response = await fetch(path, { headers });
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    try { message = (await response.json()).errors[0].message; } catch { /* not JSON */ }
    throw new ApiError([{ message }]);
  }
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  if (path.endsWith(".csv")) link.download = filename;
  else link.target = "_blank";
  link.rel = "noopener";
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// Buttons for a sheet's print page and CSV; errors are shown next to them.
export function sheetLinks(h, bi, base, name) {
  const status = h("small", { class: "error", role: "status" });
  const button = (fmt, zh, en) => h("button", {
    type: "button", class: "ghost sheet-link", dataset: { sheet: `${base}.${fmt}` },
    onclick: () => openSheet(`${base}.${fmt}`, `${name}.${fmt}`)
      .then(() => { status.textContent = ""; })
      .catch((error) => { status.textContent = error.message; }),
  }, bi(zh, en));
  return h("p", { class: "sheets" }, button("html", "打印", "Print"), " ",
    button("csv", "导出 CSV", "CSV"), status);
}
