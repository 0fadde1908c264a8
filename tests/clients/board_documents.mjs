// The dispatch board's GraphQL documents (src/cungoods/web/board/queries.js) as an Apollo
// persisted query manifest, on stdout. The server trusts them in trusted-documents mode
// (api/persisted.py); tests/test_persisted_queries.py checks that the committed copy,
// src/cungoods/web/board/persisted-documents.json, is this script's output:
//   node tests/clients/board_documents.mjs > src/cungoods/web/board/persisted-documents.json
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

const source = new URL("../../src/cungoods/web/board/queries.js", import.meta.url);
// queries.js is an ES module outside any package.json of type "module": load its text as one.
const text = readFileSync(source, "utf8");
const queries = await import(`data:text/javascript,${encodeURIComponent(text)}`);

const operations = [];
for (const body of Object.values(queries)) {
  const match = /^(query|mutation|subscription)\s+(\w+)/m.exec(body);
  if (!match) continue; // a fragment, only ever sent inside an operation
  const id = createHash("sha256").update(body, "utf8").digest("hex");
  operations.push({ id, name: match[2], type: match[1], body });
}
operations.sort((a, b) => a.name.localeCompare(b.name));
const manifest = { format: "apollo-persisted-query-manifest", version: 1, operations };
process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
