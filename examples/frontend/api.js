// The talks API as both pages reach it: @urql/core with automatic persisted queries.
// The API's address comes from `?api=`, by default the one `python3 dev.py serve` opens.
import { Client, fetchExchange, subscriptionExchange } from "@urql/core";
import { persistedExchange } from "@urql/exchange-persisted";
import { createClient as createSseClient } from "graphql-sse";

export const params = new URLSearchParams(window.location.search);
export const api = params.get("api") || "http://127.0.0.1:8000/graphql/";

// The API answers every read to anyone; no cookies or tokens cross origins. Queries go
// as automatic persisted queries over GET: the query's SHA-256 instead of its text (the
// text follows once, if the server does not know the hash yet), so that the browser, a
// CDN and the server's own cache can keep the answer, and revalidate it with a 304.
// Subscriptions go as Server-Sent Events (the graphql-sse protocol), one stream each.
const events = createSseClient({ url: api, credentials: "omit" });

export const client = new Client({
  url: api,
  exchanges: [
    persistedExchange({ preferGetForPersistedQueries: true }),
    subscriptionExchange({
      forwardSubscription: (request) => ({
        subscribe: (sink) => ({ unsubscribe: events.subscribe({ ...request, query: request.query || "" }, sink) }),
      }),
    }),
    fetchExchange,
  ],
  fetchOptions: { credentials: "omit" },
});

// What to tell the reader when a query fails.
export function failure(error) {
  return error.networkError
    ? `The API at ${api} could not be reached (is this page's origin in its CORS_ALLOWED_ORIGINS?).`
    : error.message;
}
