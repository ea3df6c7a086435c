import compression from 'compression';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { projectRoot } from '../../core/project-root';

const GRAPHIQL_PACKAGE = require.resolve('@graphql-yoga/graphiql/package.json');
const GRAPHIQL_VERSION = (JSON.parse(readFileSync(GRAPHIQL_PACKAGE, 'utf8')) as { version: string })
  .version;
/** Versioned, so the several-megabyte bundle can be cached for a year and still change. */
export const PLAYGROUND_ASSETS = `/playground/${GRAPHIQL_VERSION}`;

// Everything comes from this origin; inline styles are needed by the editor and React.
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>statusgraph playground</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="${PLAYGROUND_ASSETS}/graphiql.css" />
    <style>html, body, #root { height: 100%; margin: 0; }
      .console-link { position: fixed; right: 1.5rem; bottom: 1.25rem; z-index: 10; padding: 0.4rem 0.7rem;
        border-radius: 6px; background: #fff; color: #0b5cad; font: 14px system-ui, sans-serif; }</style>
  </head>
  <body>
    <div id="root" data-assets="${PLAYGROUND_ASSETS}" data-endpoint="/graphql">Loading the playground…</div>
    <a class="console-link" href="/console">Manage API tokens in the token console</a>
    <script src="${PLAYGROUND_ASSETS}/yoga-graphiql.umd.js"></script>
    <script src="/playground/init.js"></script>
  </body>
</html>
`;

/** True for a browser asking for a page, not for a GraphQL client (curl sends Accept: *\/*). */
function wantsPage(req: Request): boolean {
  return (
    req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) ===
    'text/html'
  );
}

/**
 * The GraphiQL playground, served entirely from this server: the page at `GET /graphql` for
 * browsers, the prebuilt GraphiQL bundle and its Monaco workers from the npm package, and the
 * start-up script. No request goes to any other host.
 */
export function playground(): Router {
  const router = express.Router({ caseSensitive: true });
  router.get('/graphql', (req: Request, res: Response, next: NextFunction) => {
    // Any browser navigation gets the page, ?query=… included (GraphiQL keeps the edited query
    // in the URL, so a reload carries it); a navigation never sends Authorization, while a
    // script's GET query always does.
    if (!wantsPage(req) || req.headers.authorization !== undefined) {
      next();
      return;
    }
    res
      .set({ 'content-security-policy': CONTENT_SECURITY_POLICY, 'cache-control': 'no-cache' })
      .type('html')
      .send(PAGE);
  });
  router.use(
    PLAYGROUND_ASSETS,
    compression(),
    express.static(join(dirname(GRAPHIQL_PACKAGE), 'dist'), {
      immutable: true,
      maxAge: '1y',
      index: false,
      // A folder's path is not answered with an HTML redirect (echoing its query) but a 404.
      redirect: false,
      fallthrough: false,
    }),
  );
  router.get('/playground/init.js', compression(), (_req, res) => {
    res
      .set('cache-control', 'no-cache')
      .sendFile(join(projectRoot(), 'src', 'server', 'playground', 'assets', 'init.js'));
  });
  return router;
}
