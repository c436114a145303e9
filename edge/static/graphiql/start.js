// Starts GraphiQL on this page: no inline script, so the page's Content-Security-Policy
// can forbid them. The server puts the example query and the CSRF token in the
// #graphiql-settings JSON block.
"use strict";

(function () {
  const settings = JSON.parse(document.getElementById("graphiql-settings").textContent);
  const url = window.location.href.split("?")[0];
  const parameters = new URLSearchParams(window.location.search);

  // Keeps the query and variables in the address, so a link shares what is on screen:
  // `q`, as strawberry's own page names it (a `query` parameter would run the query).
  function remember(name, value) {
    if (value) {
      parameters.set(name, value);
    } else {
      parameters.delete(name);
    }
    const search = parameters.toString();
    history.replaceState(null, "", search ? "?" + search : url);
  }

  // A session (a staff user logged in at /admin/) authorises mutations only with the
  // CSRF token; a bearer token typed into the Headers pane needs none.
  const fetcher = GraphiQL.createFetcher({
    url: url,
    headers: { "X-CSRFToken": settings.csrfToken },
  });

  function Page() {
    const [query, setQuery] = React.useState(parameters.get("q") || settings.exampleQuery);
    const [variables, setVariables] = React.useState(parameters.get("variables") || undefined);
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [GraphiQLPluginExplorer.explorerPlugin()],
      defaultEditorToolsVisibility: true,
      query: query,
      variables: variables,
      onEditQuery: function (value) {
        setQuery(value);
        remember("q", value);
      },
      onEditVariables: function (value) {
        setVariables(value);
        remember("variables", value);
      },
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(Page));
})();
