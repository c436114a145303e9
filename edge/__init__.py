"""The HTTP edge: everything between a client's HTTP request and the GraphQL schema.

The /graphql/ view and GraphiQL's page, the request's state, persisted queries, HTTP
caching, rate limits, read-replica routing, logs and probes. It imports `schema` and
`talks`; neither imports it.
"""
