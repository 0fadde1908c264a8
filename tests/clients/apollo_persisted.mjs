// Apollo Client 4's PersistedQueryLink (automatic persisted queries) against a running cungoods
// server (its URL as the argument), over POST and over GET (`useGETForHashedQueries`): each
// query is asked twice, by two clients, so the second knows nothing the first learnt. Every
// request the link sends is recorded (method, hash, text, status, error codes); one JSON report
// on stdout.
import { createHash } from "node:crypto";
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";

const [url] = process.argv.slice(2);
const sha256 = (text) => createHash("sha256").update(text, "utf8").digest("hex");

async function run(useGET) {
  const requests = [];
  async function recordingFetch(input, init = {}) {
    const target = new URL(String(input));
    const method = init.method ?? "GET";
    const sent = method === "GET"
      ? Object.fromEntries(target.searchParams)
      : JSON.parse(init.body);
    const extensions = typeof sent.extensions === "string"
      ? JSON.parse(sent.extensions)
      : sent.extensions;
    const response = await fetch(input, init);
    const body = await response.clone().json();
    requests.push({
      method,
      hash: extensions?.persistedQuery?.sha256Hash ?? null,
      withText: typeof sent.query === "string",
      status: response.status,
      codes: (body.errors ?? []).map((error) => error.extensions?.code ?? null),
    });
    return response;
  }
  const name = useGET ? "ApqRoutesGet" : "ApqRoutesPost";
  const query = gql`query ${name} { routes { code name } }`;
  const answers = [];
  for (let round = 0; round < 2; round += 1) {
    const link = ApolloLink.from([
      new PersistedQueryLink({ sha256, useGETForHashedQueries: useGET }),
      new HttpLink({ uri: url, fetch: recordingFetch }),
    ]);
    const apollo = new ApolloClient({ link, cache: new InMemoryCache() });
    const { data } = await apollo.query({ query, fetchPolicy: "network-only" });
    answers.push(data);
  }
  return { answers, requests };
}

const report = { post: await run(false), get: await run(true) };
process.stdout.write(JSON.stringify(report));
