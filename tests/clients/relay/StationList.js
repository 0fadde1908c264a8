// A station picker paging forward, usePaginationFragment style: the fragment is @refetchable on
// Query and its connection keyed for Relay's store.
import { graphql } from "react-relay";

export const StationListQuery = graphql`
  query StationListQuery($count: Int!, $cursor: String) {
    ...StationList_query @arguments(count: $count, cursor: $cursor)
  }
`;

export const StationListFragment = graphql`
  fragment StationList_query on Query
  @refetchable(queryName: "StationListPaginationQuery")
  @argumentDefinitions(count: { type: "Int", defaultValue: 20 }, cursor: { type: "String" }) {
    stations(first: $count, after: $cursor) @connection(key: "StationList_stations") {
      totalCount
      edges {
        node {
          id
          code
          name
        }
      }
    }
  }
`;
