// graphql-ws (the board's own copy, 6.4.2) against a running cungoods server, signing in with a
// token the server refuses. Prints one JSON report: how many times the client connected, the
// close codes it saw, and the code it gave up with. retryWait is instant, so a retry, had the
// client deemed the close worth one (it retries 4403 Forbidden five times), shows at once.
const path = require("node:path");

const vendored = path.resolve(__dirname, "../../src/cungoods/web/board/vendor/graphql-ws.min.js");
const { createClient } = require(vendored);

const [url, token] = process.argv.slice(2);
let connecting = 0;
const closes = [];
const client = createClient({
  url,
  connectionParams: { token },
  retryAttempts: 5,
  retryWait: async () => {},
  on: {
    connecting: () => {
      connecting += 1;
    },
    closed: (event) => closes.push(event.code),
  },
});

function report(finalCode) {
  process.stdout.write(JSON.stringify({ connecting, closes, finalCode }));
  client.dispose();
  process.exit(0);
}

client.subscribe(
  { query: "{ __typename }" },
  {
    next: () => {},
    error: (error) => report(error && typeof error.code === "number" ? error.code : String(error)),
    complete: () => report(null),
  },
);
setTimeout(() => report("timeout"), 20000);
