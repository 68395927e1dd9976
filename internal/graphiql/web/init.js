// Boots GraphiQL for the helpdesk GraphQL endpoint. Served by
// helpdesk/internal/graphiql next to the vendored React and GraphiQL UMD
// builds, which define the globals React, ReactDOM and GraphiQL.
(function () {
  'use strict';

  var root = document.getElementById('graphiql');

  function fail(message) {
    root.innerHTML = '';
    var p = document.createElement('p');
    p.className = 'graphiql-boot error';
    p.textContent = message;
    root.appendChild(p);
  }

  if (typeof React === 'undefined' || typeof ReactDOM === 'undefined' || typeof GraphiQL === 'undefined') {
    fail('GraphiQL failed to load its scripts; reload the page.');
    return;
  }

  // Queries and mutations: HTTP POST to the endpoint (relative to this page).
  var httpURL = new URL(root.getAttribute('data-endpoint') || '/graphql', window.location.href);
  // Subscriptions: WebSocket on the same path, graphql-transport-ws protocol
  // (the graphql-ws client bundled in graphiql.min.js); wss:// under https.
  var wsURL = new URL(httpURL.href);
  wsURL.protocol = httpURL.protocol === 'https:' ? 'wss:' : 'ws:';

  // createFetcher sends the JSON object from GraphiQL's Headers tab as HTTP
  // headers on every POST and, for subscriptions, opens a graphql-ws client
  // whose connectionParams (the connection_init payload) are those same
  // headers, e.g. {"Authorization": "Bearer <token>"}.
  var fetcher = GraphiQL.createFetcher({
    url: httpURL.href,
    subscriptionUrl: wsURL.href
  });

  var defaultQuery = [
    '# Helpdesk GraphQL API',
    '#',
    '# Sign in: open the Headers tab below and paste',
    '#   {"Authorization": "Bearer <token>"}',
    '# (also sent when a subscription connects).',
    '# Then run this query (Ctrl-Enter):',
    '',
    '{ viewer { agent { name role } contact { name } } }',
    ''
  ].join('\n');

  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      isHeadersEditorEnabled: true,
      // Open the tools pane on the Headers tab so the token has an obvious home.
      defaultEditorToolsVisibility: 'headers',
      // Keep the bearer token out of localStorage.
      shouldPersistHeaders: false
    })
  );
})();
