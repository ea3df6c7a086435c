// The playground page's start-up: GraphiQL from the locally served bundle, its Monaco workers
// from the same origin, and a fetcher that sends the Authorization header the user enters.
(function () {
  'use strict';
  var root = document.getElementById('root');
  var assets = root.dataset.assets;
  var endpoint = root.dataset.endpoint;
  var workers = {
    editorWorkerService: assets + '/monacoeditorwork/editor.worker.bundle.js',
    json: assets + '/monacoeditorwork/json.worker.bundle.js',
    // The bundle's file name really has two dots.
    graphql: assets + '/monacoeditorwork/graphql.worker..bundle.js',
  };
  self.MonacoEnvironment = {
    globalAPI: false,
    getWorkerUrl: function (_moduleId, label) {
      return workers[label] || workers.editorWorkerService;
    },
  };

  var PLACEHOLDER = 'Bearer sgp_...';
  var HEADERS = JSON.stringify({ Authorization: PLACEHOLDER }, null, 2);
  var DEFAULT_QUERY =
    '# Put your API token in the Headers tab below\n' +
    '# (in place of sgp_...), then run: Ctrl-Enter.\n' +
    '# The docs (left bar) load as soon as a token is\n' +
    '# in; if they still say "Error fetching schema",\n' +
    '# press the re-fetch button (⟳) in the left bar.\n' +
    '# Managing tokens: see the second tab, or the\n' +
    '# token console at /console.\n' +
    '# Read-only tokens run every query; mutations\n' +
    '# need a full-access token.\n' +
    '# Your cost budget (points; every answer also\n' +
    '# carries extensions.cost):\n' +
    '#   { rateLimit { cost remaining limit resetAt restoreRate } }\n' +
    '{\n' +
    '  viewer {\n    permission\n    organization { name }\n  }\n' +
    '  boards(first: 5) {\n    nodes { id name }\n  }\n' +
    '}\n';

  // The second tab: token management, commented, one operation at a time.
  var TOKEN_EXAMPLES =
    '# Managing API tokens (these need a full-access token).\n' +
    '# Run one operation at a time: put the cursor in it and\n' +
    '# press Ctrl-Enter. The token console at /console does\n' +
    '# the same with buttons.\n' +
    '\n' +
    '# A read-only token for a dashboard or a BI tool. The\n' +
    '# secret is in this answer only: store it right away.\n' +
    'mutation CreateReadOnlyToken {\n' +
    '  createApiToken(input: { name: "BI dashboard", permission: READ_ONLY }) {\n' +
    '    secret\n' +
    '    token { id prefix permission expiresAt }\n' +
    '  }\n' +
    '}\n' +
    '\n' +
    '# Every token: its status, its last use, and whether it\n' +
    '# could be read-only (suggestedPermission).\n' +
    'query ListTokens {\n' +
    '  apiTokens(first: 50) {\n' +
    '    nodes { id name prefix permission status lastUsedAt suggestedPermission }\n' +
    '  }\n' +
    '}\n' +
    '\n' +
    '# Switch a token off; activateApiToken switches it on\n' +
    '# again. Paste an id from ListTokens.\n' +
    'mutation DeactivateToken {\n' +
    '  deactivateApiToken(id: "paste a token id") { id name status }\n' +
    '}\n';

  var TOKEN = /Bearer\s+sgp_[0-9A-Za-z]{36}/;
  var schemaToken = null;

  // GraphiQL fetches the schema once, when the page loads, with the placeholder header: the
  // docs then say "Error fetching schema" until the schema is fetched again. Fetch it again
  // whenever a new well-formed token is typed in, through GraphiQL's own re-fetch button.
  function onEditHeaders(text) {
    var match = TOKEN.exec(text);
    if (!match || match[0] === schemaToken) {
      return;
    }
    var refetch = document.querySelector('[aria-label^="Re-fetch GraphQL schema"]');
    if (refetch) {
      schemaToken = match[0];
      refetch.click();
    }
  }

  function authorizationOf(headers) {
    var value = '';
    Object.keys(headers).forEach(function (name) {
      if (name.toLowerCase() === 'authorization') {
        value = String(headers[name]).trim();
      }
    });
    return value;
  }

  function fetcher(params, options) {
    var headers = Object.assign({}, options && options.headers);
    var authorization = authorizationOf(headers);
    // Until a real token is in, answer here instead of sending requests bound to fail.
    if (!authorization || authorization === PLACEHOLDER) {
      return Promise.resolve({
        errors: [
          {
            message:
              'Put your API token in the Headers tab: {"Authorization": "Bearer sgp_<your token>"}, then run the query again.',
          },
        ],
      });
    }
    return fetch(endpoint, {
      method: 'POST',
      credentials: 'omit',
      headers: Object.assign(
        {
          'Content-Type': 'application/json',
          Accept: 'application/graphql-response+json, application/json',
        },
        headers,
      ),
      body: JSON.stringify(params),
    }).then(function (response) {
      return response.json();
    });
  }

  self.YogaGraphiQL.renderYogaGraphiQL(root, {
    fetcher: fetcher,
    title: 'statusgraph',
    query: DEFAULT_QUERY,
    defaultQuery: DEFAULT_QUERY,
    headers: HEADERS,
    defaultTabs: [
      { query: DEFAULT_QUERY, headers: HEADERS },
      { query: TOKEN_EXAMPLES, headers: HEADERS },
    ],
    onEditHeaders: onEditHeaders,
    defaultEditorToolsVisibility: 'headers',
    // The token is a secret: never keep it in the browser's storage.
    shouldPersistHeaders: false,
  });
})();
