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
  var DEFAULT_QUERY =
    '# Put your API token in the Headers tab below\n' +
    '# (in place of sgp_...), then run: Ctrl-Enter.\n' +
    '# Docs: press Shift-Ctrl-R once the token is in.\n' +
    '# Read-only tokens run every query; mutations\n' +
    '# need a full-access token.\n' +
    '# Your cost budget (points; every answer also\n' +
    '# carries extensions.cost):\n' +
    '#   { rateLimit { cost remaining limit resetAt restoreRate } }\n' +
    '{\n' +
    '  viewer {\n    permission\n    organization { name }\n  }\n' +
    '  boards(first: 5) {\n    nodes { id name }\n  }\n' +
    '}\n';

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
    headers: JSON.stringify({ Authorization: PLACEHOLDER }, null, 2),
    defaultEditorToolsVisibility: 'headers',
    // The token is a secret: never keep it in the browser's storage.
    shouldPersistHeaders: false,
  });
})();
