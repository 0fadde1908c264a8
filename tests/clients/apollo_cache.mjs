// Apollo Client 4 against a running cungoods server (the URL and a trip id as arguments).
// 1. Two queries ask the same trip for different fields with a default InMemoryCache (no
//    typePolicies): both must still read back whole from the cache afterwards.
// 2. A Relay-style pagination round trip (relayStylePagination, the helper Apollo ships for
//    Relay connections): forward to the end with fetchMore, then backward from the end.
// Prints one JSON report on stdout; what Apollo logs is part of it, for diagnosis.
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { relayStylePagination } from "@apollo/client/utilities";

const [url, tripId] = process.argv.slice(2);
const warnings = [];
for (const level of ["warn", "error"]) {
  console[level] = (...args) => warnings.push(args.map(String).join(" "));
}

function client(cache) {
  return new ApolloClient({ link: new HttpLink({ uri: url }), cache });
}

// The same two queries, with or without the stops' and legs' ids: without them a stop is no
// entity of its own, so the second answer replaces the trip's stops and the first query's
// fields are lost (the control that shows what the ids are for).
function tripQueries(ids) {
  const id = ids ? "id" : "";
  return {
    times: gql`
      query TripTimes${ids ? "" : "NoIds"}($id: ID!) {
        trip(id: $id) { id status stops { ${id} seq plannedAt expectedAt } }
      }
    `,
    loads: gql`
      query TripLoads${ids ? "" : "NoIds"}($id: ID!) {
        trip(id: $id) {
          id delayMinutes
          stops { ${id} seq isHub station { id code } }
          legs { ${id} seq used { weightG volumeCm3 chilledG } }
        }
      }
    `,
  };
}

async function sameTrip(ids) {
  const logged = warnings.length;
  const apollo = client(new InMemoryCache());
  const variables = { id: tripId };
  const { times: TIMES, loads: LOADS } = tripQueries(ids);
  const times = (await apollo.query({ query: TIMES, variables })).data;
  const loads = (await apollo.query({ query: LOADS, variables })).data;
  return {
    times,
    loads,
    timesFromCache: apollo.readQuery({ query: TIMES, variables }),
    loadsFromCache: apollo.readQuery({ query: LOADS, variables }),
    cacheKeys: Object.keys(apollo.extract()).sort(),
    warnings: warnings.slice(logged),
  };
}

const STATIONS = gql`
  query Stations($first: Int, $after: String, $last: Int, $before: String) {
    stations(first: $first, after: $after, last: $last, before: $before) {
      totalCount
      edges { cursor node { id code } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`;

async function pageThrough(direction) {
  const cache = new InMemoryCache({
    typePolicies: { Query: { fields: { stations: relayStylePagination() } } },
  });
  const apollo = client(cache);
  const size = 40;
  const start = direction === "forward" ? { first: size } : { last: size };
  const watched = apollo.watchQuery({ query: STATIONS, variables: start });
  const subscription = watched.subscribe({});
  let { data } = await apollo.query({ query: STATIONS, variables: start });
  let fetches = 1;
  for (;;) {
    const info = data.stations.pageInfo;
    const more = direction === "forward" ? info.hasNextPage : info.hasPreviousPage;
    if (!more || fetches > 20) break;
    const next =
      direction === "forward"
        ? { first: size, after: info.endCursor }
        : { last: size, before: info.startCursor };
    await watched.fetchMore({ variables: next });
    fetches += 1;
    data = apollo.readQuery({ query: STATIONS, variables: start });
  }
  subscription.unsubscribe();
  return {
    fetches,
    totalCount: data.stations.totalCount,
    codes: data.stations.edges.map((edge) => edge.node.code),
    pageInfo: data.stations.pageInfo,
  };
}

const report = {
  sameTrip: await sameTrip(true),
  sameTripWithoutIds: await sameTrip(false),
  forward: await pageThrough("forward"),
  backward: await pageThrough("backward"),
};
report.warnings = warnings;
process.stdout.write(JSON.stringify(report));
