// Apollo Client 4 against a running cungoods server (the URL and a trip id as arguments).
// 1. Two queries ask the same trip for different fields with a default InMemoryCache (no
//    typePolicies): both must still read back whole from the cache afterwards.
// 2. A Relay-style pagination round trip (relayStylePagination, the helper Apollo ships for
//    Relay connections): forward to the end with fetchMore, then backward from the end.
// Prints one JSON report on stdout; cache warnings Apollo logs are part of it.
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

const TIMES = gql`
  query TripTimes($id: ID!) {
    trip(id: $id) { id status stops { id seq plannedAt expectedAt } }
  }
`;
const LOADS = gql`
  query TripLoads($id: ID!) {
    trip(id: $id) {
      id delayMinutes
      stops { id seq isHub station { id code } }
      legs { id seq used { weightG volumeCm3 chilledG } }
    }
  }
`;

async function sameTrip() {
  const apollo = client(new InMemoryCache());
  const variables = { id: tripId };
  const times = (await apollo.query({ query: TIMES, variables })).data;
  const loads = (await apollo.query({ query: LOADS, variables })).data;
  return {
    times,
    loads,
    timesFromCache: apollo.readQuery({ query: TIMES, variables }),
    loadsFromCache: apollo.readQuery({ query: LOADS, variables }),
    cacheKeys: Object.keys(apollo.extract()).sort(),
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
  sameTrip: await sameTrip(),
  forward: await pageThrough("forward"),
  backward: await pageThrough("backward"),
};
report.warnings = warnings;
process.stdout.write(JSON.stringify(report));
