// A trip card refetched through node(id): the trip, its stops and legs are all Nodes.
import { graphql } from "react-relay";

export const TripCardFragment = graphql`
  fragment TripCard_trip on Trip @refetchable(queryName: "TripCardRefetchQuery") {
    id
    status
    stops {
      id
      seq
      expectedAt
    }
    legs {
      id
      seq
      used {
        weightG
      }
    }
  }
`;
