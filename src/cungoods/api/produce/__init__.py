"""Upstream in the API: produce listings, purchase requests and offers, purchases and their
handover chain, in small modules (enums, types, inputs, payloads, queries, mutations)."""
