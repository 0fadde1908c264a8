// The GraphQL documents the board sends: public operations of schema/schema.graphql only.

const LOAD = "weightG volumeCm3 chilledG";

export const TRIP_FIELDS = `
fragment BoardTrip on Trip {
  id serviceDate departsAt status delayMinutes
  route { code name }
  vehicle { plate }
  driver { name phone }
  stops { seq isHub plannedAt expectedAt arrivedAt departedAt station { id name code } }
  legs { seq capacity { ${LOAD} } used { ${LOAD} } down { ${LOAD} } up { ${LOAD} } }
  utilization { down up overall }
}`;

const EVENT_FIELDS = `
fragment BoardEvent on DeliveryEvent {
  id cursor kind at message stopSeq status
  station { id name }
  trip { ...BoardTrip }
}`;

export const VIEWER = `query BoardViewer {
  viewer { id name phone roles station { id name code township village pickupHours } }
}`;

export const LOGIN = `mutation BoardLogin($input: LoginInput!) {
  login(input: $input) {
    token
    user { id name roles }
    errors { code message field }
  }
}`;

export const TRIPS = `query BoardTrips($date: Date!) { trips(date: $date) { ...BoardTrip } }
${TRIP_FIELDS}`;

export const TRIP = `query BoardTripOne($id: ID!) { trip(id: $id) { ...BoardTrip } }
${TRIP_FIELDS}`;

export const TRIP_UPDATES = `subscription BoardTripUpdates($id: ID!) {
  tripUpdates(tripId: $id) { ...BoardEvent }
}
${EVENT_FIELDS}
${TRIP_FIELDS}`;

export const STATION_UPDATES = `subscription BoardStationUpdates($id: ID!) {
  stationUpdates(stationId: $id) { ...BoardEvent }
}
${EVENT_FIELDS}
${TRIP_FIELDS}`;

export const PLANS = `query BoardPlans($id: ID!) {
  pickList(tripId: $id) {
    orderCount
    load { ${LOAD} }
    products { quantity orders load { weightG } product { sku name unit temperature } }
  }
  loadingPlan(tripId: $id) {
    steps {
      step position space
      crate { stopSeq temperature units load { weightG } station { name } orders { number } }
    }
    collections {
      stopSeq load { weightG } station { name }
      produce { number title quantity unit status farmer { name } }
    }
    fullestLeg { seq fill }
  }
}`;

export const MANIFEST = `query BoardManifest($trip: ID!, $station: ID!) {
  stationManifest(tripId: $trip, stationId: $station) {
    stopSeq plannedAt expectedAt
    handOut { weightG } takeIn { weightG }
    orders {
      number status totalFen
      buyer { name }
      lines { quantity product { name unit } }
      order { id }
    }
    produce {
      number title unit quantity weightG status
      farmer { name }
      purchase { id handedOverQuantity }
    }
  }
}`;

export const CONFIRM_PICKUP = `mutation BoardConfirmPickup($input: ConfirmPickupInput!) {
  confirmPickup(input: $input) { order { id status } errors { code message field } }
}`;

export const CONFIRM_HANDOVER = `mutation BoardConfirmHandover($input: ConfirmHandoverInput!) {
  confirmHandover(input: $input) {
    purchase { id status handedOverQuantity }
    errors { code message field }
  }
}`;
