// Runs the graphql-http server audits (GraphQL over HTTP spec) against the URL given as the
// first argument. Prints one JSON object: every result with its status and reason, then exits
// 1 if any audit is an error (a MUST the server breaks), 0 otherwise (warnings and notices are
// recommendations, reported but not failing).
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs http://127.0.0.1:PORT/graphql');
  process.exit(2);
}

const results = [];
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  const entry = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    entry.reason = result.reason;
    entry.httpStatus = result.response.status;
    entry.contentType = result.response.headers.get('content-type');
    // The body is read here so a failing audit shows what the server said.
    try {
      entry.body = (await result.response.text()).slice(0, 300);
    } catch {
      entry.body = null;
    }
  }
  results.push(entry);
}

const count = (status) => results.filter((r) => r.status === status).length;
console.log(
  JSON.stringify(
    { ok: count('ok'), notice: count('notice'), warn: count('warn'), error: count('error'), results },
    null,
    2,
  ),
);
process.exit(count('error') > 0 ? 1 : 0);
