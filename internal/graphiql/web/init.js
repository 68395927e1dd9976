// Boots GraphiQL for the helpdesk GraphQL endpoint. Served by
// helpdesk/internal/graphiql next to the vendored React and GraphiQL UMD
// builds, which define the globals React, ReactDOM and GraphiQL. GraphiQL
// keeps its state in a localStorage wrapper that never stores what the
// Headers editor holds (the bearer token); see credentialFreeStorage.
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

  // ---- Storage that keeps no credential --------------------------------
  //
  // GraphiQL saves its state in localStorage under "graphiql:<name>".
  // Its shouldPersistHeaders: false only keeps the Headers editor's text
  // out of "graphiql:headers" and "graphiql:tabState": the history plugin
  // still saves every run with that text (bearer token included) in
  // "graphiql:queries", and favourites in "graphiql:favorites". So
  // GraphiQL gets this storage instead of localStorage, which takes the
  // headers out of every record before it is written; queries, variables
  // and the history itself are still kept.

  // Keys whose whole value is a Headers editor's text: never stored.
  var HEADER_KEYS = { 'graphiql:headers': true };
  // Keys whose JSON value lists records with a "headers" field, and the
  // field holding the list: {"tabs": [{query, variables, headers, ...}]}
  // and {"queries"|"favorites": [{query, variables, headers, ...}]}.
  var RECORD_KEYS = {
    'graphiql:tabState': 'tabs',
    'graphiql:queries': 'queries',
    'graphiql:favorites': 'favorites'
  };
  // Header values shorter than this (e.g. "1", "gzip") are too common to
  // be credentials and would match unrelated text; tokens are far longer.
  var MIN_SECRET_LENGTH = 8;

  // Second line of defence: the value of every header a request carried
  // (and, for "Bearer <token>", the token alone), kept in memory only. A
  // write that holds one of them is refused, whatever the key, in case a
  // GraphiQL version keeps the headers somewhere else.
  var sentSecrets = [];
  function rememberSecret(v) {
    if (v.length >= MIN_SECRET_LENGTH && sentSecrets.indexOf(v) < 0) sentSecrets.push(v);
  }
  function rememberSent(headers) {
    Object.keys(headers).forEach(function (name) {
      var value = String(headers[name]);
      rememberSecret(value);
      var space = value.indexOf(' ');
      if (space > 0) rememberSecret(value.slice(space + 1).trim());
    });
  }
  function holdsSecret(value) {
    return sentSecrets.some(function (v) {
      return value.indexOf(v) >= 0 || value.indexOf(JSON.stringify(v).slice(1, -1)) >= 0;
    });
  }

  // clean returns value as it may be stored under key, or null if it may
  // not be stored at all (then the key is removed).
  function clean(key, value) {
    if (HEADER_KEYS[key]) return null;
    var field = RECORD_KEYS[key];
    if (field) {
      var parsed;
      try {
        parsed = JSON.parse(value);
      } catch (e) {
        return null; // not the shape we know: keep nothing rather than a token
      }
      if (!parsed || typeof parsed !== 'object' || !Array.isArray(parsed[field])) return null;
      parsed[field].forEach(function (record) {
        // null, not deleted: GraphiQL drops saved tabs lacking the field.
        if (record && typeof record === 'object' && 'headers' in record) record.headers = null;
      });
      value = JSON.stringify(parsed);
    }
    return holdsSecret(value) ? null : value;
  }

  // ownKeys lists GraphiQL's keys in ls.
  function ownKeys(ls) {
    var keys = [];
    for (var i = 0; i < ls.length; i++) {
      var key = ls.key(i);
      if (key !== null && key.indexOf('graphiql:') === 0) keys.push(key);
    }
    return keys;
  }

  // credentialFreeStorage returns the Storage GraphiQL is given: the
  // page's localStorage seen through clean, or null where localStorage is
  // blocked (GraphiQL then keeps its state in memory only).
  function credentialFreeStorage() {
    var ls;
    try {
      ls = window.localStorage;
      ls.getItem('graphiql:headers'); // throws where storage is blocked
    } catch (e) {
      return null;
    }
    // Clean what earlier versions of this page left (they stored tokens).
    ownKeys(ls).forEach(function (key) {
      var value = ls.getItem(key);
      var cleaned = clean(key, value);
      if (cleaned === null) ls.removeItem(key);
      else if (cleaned !== value) ls.setItem(key, cleaned);
    });
    return {
      getItem: function (key) { return ls.getItem(key); },
      setItem: function (key, value) {
        var cleaned = clean(key, String(value));
        if (cleaned === null) ls.removeItem(key);
        else ls.setItem(key, cleaned); // a quota error reaches GraphiQL, which trims its history
      },
      removeItem: function (key) { ls.removeItem(key); },
      key: function (i) {
        var key = ownKeys(ls)[i];
        return key === undefined ? null : key;
      },
      clear: function () { ownKeys(ls).forEach(function (key) { ls.removeItem(key); }); },
      get length() { return ownKeys(ls).length; }
    };
  }
  // ----------------------------------------------------------------------

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
  var baseFetcher = GraphiQL.createFetcher({
    url: httpURL.href,
    subscriptionUrl: wsURL.href
  });
  function fetcher(params, options) {
    if (options && options.headers) rememberSent(options.headers);
    return baseFetcher(params, options);
  }

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
      // Never save the Headers editor's text; credentialFreeStorage makes
      // sure of it for the history and favourites too, which this misses.
      shouldPersistHeaders: false,
      storage: credentialFreeStorage()
    })
  );
})();
