import { createHttpApp, listen } from '../src/server/http-app';
import { openBenchServices, type BenchDatabaseKind } from './bench-database';
import { median, pairedRatio, sideBySide, timeEach } from './stats';

export interface AuthCost {
  authenticateValidUs: number;
  authenticateMalformedUs: number;
  httpViewerUs: number;
  httpHealthzUs: number;
  httpMalformedUs: number;
  /** Medians of the request-by-request ratios (the three take turns). */
  viewerVsHealthz: number;
  viewerVsMalformed: number;
}

/**
 * What authentication costs per request: the context function alone (valid token: format,
 * checksum, SHA-256, one indexed look-up; malformed: refused before the database), and whole HTTP
 * round trips of a small `viewer` query against the unauthenticated /healthz and a refused request.
 */
export async function measureAuthCost(kind: BenchDatabaseKind, rounds = 2000): Promise<AuthCost> {
  const bench = await openBenchServices(kind);
  const { services } = bench;
  try {
    const { secret } = await services.organizations.create('Bench', 'bench');
    const meta = { id: 'bench', ip: '127.0.0.1', userAgent: 'bench' };
    const valid = `Bearer ${secret}`;
    const malformed = `Bearer ${secret.slice(0, -1)}${secret.endsWith('0') ? '1' : '0'}`;
    const authenticateValidUs = median(
      await timeEach(() => services.authenticator.authenticate(valid, meta), rounds),
    );
    const authenticateMalformedUs = median(
      await timeEach(
        () => services.authenticator.authenticate(malformed, meta).catch(() => null),
        rounds,
      ),
    );

    const { listener, apollo } = await createHttpApp(services);
    const server = await listen(listener, 0, '127.0.0.1');
    const address = server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const post = (authorization: string) =>
      fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: '{"query":"{ viewer { permission } }"}',
      }).then((r) => r.text());
    const get = (path: string) => fetch(`${base}${path}`).then((r) => r.text());
    const microseconds = async (request: () => Promise<string>) => {
      const start = process.hrtime.bigint();
      await request();
      return Number(process.hrtime.bigint() - start) / 1000;
    };
    // One request of each in turn, so that a busy moment falls on all three alike.
    const http = await sideBySide(
      {
        viewer: () => microseconds(() => post(valid)),
        healthz: () => microseconds(() => get('/healthz')),
        malformed: () => microseconds(() => post(malformed)),
      },
      Math.max(200, rounds / 4),
      100,
    );
    const httpViewerUs = median(http.viewer);
    const httpHealthzUs = median(http.healthz);
    const httpMalformedUs = median(http.malformed);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await apollo.stop();
    return {
      authenticateValidUs,
      authenticateMalformedUs,
      httpViewerUs,
      httpHealthzUs,
      httpMalformedUs,
      viewerVsHealthz: pairedRatio(http.viewer, http.healthz),
      viewerVsMalformed: pairedRatio(http.viewer, http.malformed),
    };
  } finally {
    await bench.close();
  }
}
