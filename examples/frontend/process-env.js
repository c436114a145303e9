// @urql/core's ES modules are written for bundlers, which replace `process.env.NODE_ENV`
// at build time; with no build step, the page defines what a production build would.
globalThis.process = { env: { NODE_ENV: "production" } };
