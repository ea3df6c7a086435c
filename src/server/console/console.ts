import compression from 'compression';
import express, { type Router } from 'express';
import { join } from 'node:path';
import { projectRoot } from '../../core/project-root';

/**
 * Nothing but this origin: no inline script or style, no eval, no frames, no forms posted
 * anywhere. The page's only requests are its three files and POST /graphql.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'cache-control': 'no-cache',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

/**
 * The token console (API.md section 10) at `GET /console`: a static page, its style sheet, and
 * its script compiled by `npm run build` from `console/browser/` to `dist/console/`. It needs no
 * token to load; everything it shows comes from GraphQL requests made with the pasted token.
 */
export function tokenConsole(): Router {
  const root = projectRoot();
  const assets = join(root, 'src', 'server', 'console', 'assets');
  const router = express.Router({ caseSensitive: true });
  router.get(['/console', '/console/'], (_req, res) => {
    res.set(HEADERS).sendFile(join(assets, 'index.html'));
  });
  router.get('/console/console.css', compression(), (_req, res) => {
    res.set(HEADERS).sendFile(join(assets, 'console.css'));
  });
  router.use(
    '/console/js',
    compression(),
    express.static(join(root, 'dist', 'console'), {
      index: false,
      // A folder's path is not answered with an HTML redirect (echoing its query) but a 404.
      redirect: false,
      fallthrough: false,
      setHeaders: (res) => res.set(HEADERS),
    }),
  );
  return router;
}
