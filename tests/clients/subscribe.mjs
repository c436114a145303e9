// Subscribe with a real client, as frontends do, and print each result as a JSON line:
//   node subscribe.mjs ws|sse URL QUERY [VARIABLES_JSON] [COUNT]
// graphql-ws over WebSocket (graphql-transport-ws), graphql-sse over SSE (distinct
// connections mode). Exits after COUNT results (default 1), or prints {"error": ...}.
import { createClient as createWsClient } from "graphql-ws";
import { createClient as createSseClient } from "graphql-sse";
import WebSocket from "ws";

const [transport, url, query, variablesJson, countText] = process.argv.slice(2);
const variables = variablesJson ? JSON.parse(variablesJson) : {};
let left = Number(countText || 1);

const client =
  transport === "ws"
    ? createWsClient({ url: url.replace(/^http/, "ws"), webSocketImpl: WebSocket, retryAttempts: 0 })
    : createSseClient({ url, retryAttempts: 0 });

const stop = client.subscribe(
  { query, variables },
  {
    next: (result) => {
      process.stdout.write(JSON.stringify(result) + "\n");
      left -= 1;
      if (left <= 0) {
        stop();
        client.dispose();
        process.exit(0);
      }
    },
    error: (error) => {
      const text = error instanceof Error ? error.message : JSON.stringify(error);
      process.stdout.write(JSON.stringify({ error: text }) + "\n");
      process.exit(1);
    },
    complete: () => {
      process.stdout.write(JSON.stringify({ complete: true }) + "\n");
      process.exit(0);
    },
  },
);
process.stdout.write(JSON.stringify({ subscribed: transport }) + "\n");
