// A buyer's orders paging both ways (loadNext and loadPrevious of usePaginationFragment).
import { graphql } from "react-relay";

export const MyOrdersFragment = graphql`
  fragment MyOrders_query on Query
  @refetchable(queryName: "MyOrdersPaginationQuery")
  @argumentDefinitions(
    first: { type: "Int" }
    after: { type: "String" }
    last: { type: "Int" }
    before: { type: "String" }
  ) {
    myOrders(first: $first, after: $after, last: $last, before: $before)
      @connection(key: "MyOrders_myOrders") {
      edges {
        node {
          id
          number
          status
        }
      }
    }
  }
`;
