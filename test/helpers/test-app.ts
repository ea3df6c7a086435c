import 'reflect-metadata';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import type { ApolloServer } from '@apollo/server';
import { closeServices, openServices, type Services } from '../../src/app';
import type { Clock } from '../../src/core/clock';
import type { Config } from '../../src/core/config';
import type { RequestContext } from '../../src/core/context';
import type { Organization } from '../../src/organizations/organization.entity';
import { systemActor } from '../../src/organizations/organization.service';
import { createLogger } from '../../src/core/logger';
import { answerParserRefusals } from '../../src/server/parser-refusals';
import { createHttpApp, listen } from '../../src/server/http-app';
import type { Timer } from '../../src/limits/fair-scheduler';
import { ApiToken } from '../../src/tokens/api-token.entity';
import { TokenPermission } from '../../src/tokens/token-permission';
import { HttpClient } from './http-client';
import { type TestDatabase, createTestDatabase } from './test-database';
import { until } from './wait';

/** Every line any test app logged in this test file (the secrets test greps them). */
export const capturedLogLines: string[] = [];

/**
 * The request log line of the response with `requestId` (its X-Request-Id) among the lines
 * captured from index `since` on. The line is written once the response has gone out, so it
 * is waited for, bounded.
 */
export async function requestLogLine(
  since: number,
  requestId: string | null,
): Promise<Record<string, unknown>> {
  const lineOf = () =>
    capturedLogLines
      .slice(since)
      .map((text) => JSON.parse(text) as Record<string, unknown>)
      .find((line) => line.reqId === requestId);
  await until(() => lineOf() !== undefined, 'the request log line');
  return lineOf() as Record<string, unknown>;
}

export interface TestAppOptions {
  lastUsedWriteIntervalSeconds?: number;
  corsOrigins?: string[];
  trustedProxies?: string[];
  /** Default: limits far above any test's traffic; the rate-limit tests set their own. */
  limits?: Config['limits'];
  /** The clock of every service that reads time (default: the system clock). */
  clock?: Clock;
  /** The fair scheduler's timer for bounded waiting: a test fires it instead of waiting. */
  timer?: Timer;
  /** A bearer token that /metrics then requires (METRICS_TOKEN); open when absent. */
  metricsToken?: string;
  /** The timer of query deadlines at each statement: a test fires it instead of waiting. */
  deadlineTimer?: Timer;
}

const UNLIMITED = {
  costBucketSize: 1_000_000_000,
  costRestoreRate: 1_000_000_000,
  authFailuresPerMinute: 1_000_000_000,
};

export interface Identity {
  name: string;
  secret: string;
  token: ApiToken;
}

/**
 * A real server on a fresh SQLite file in a temporary folder, listening on a free port, with one
 * organization and a token for each identity the tests need. Each test file (or test) builds its
 * own; nothing is shared between them.
 */
export class TestApp {
  private constructor(
    readonly services: Services,
    readonly apollo: ApolloServer<RequestContext>,
    readonly server: Server,
    readonly url: string,
    readonly dir: string,
    readonly organization: Organization,
    readonly identities: Record<'full' | 'readOnly' | 'expired' | 'inactive' | 'revoked', Identity>,
    readonly database: TestDatabase,
  ) {}

  static async start(options: TestAppOptions = {}): Promise<TestApp> {
    const database = await createTestDatabase();
    const dir = database.dir;
    const config: Config = {
      port: 0,
      database: database.config,
      logLevel: 'debug',
      lastUsedWriteIntervalSeconds: options.lastUsedWriteIntervalSeconds ?? 60,
      limits: options.limits ?? UNLIMITED,
    };
    const capture = new Writable({
      write(chunk: Buffer, _encoding, done) {
        capturedLogLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const services = await openServices(config, createLogger('debug', capture), {
      clock: options.clock,
      timer: options.timer,
      deadlineTimer: options.deadlineTimer,
    });
    const { listener, apollo } = await createHttpApp(services, {
      corsOrigins: options.corsOrigins,
      trustedProxies: options.trustedProxies,
      metricsToken: options.metricsToken,
    });
    const server = await listen(listener, 0, '127.0.0.1');
    answerParserRefusals(server, services.metrics, services.logger);
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const { organization, token, secret } = await services.organizations.create(
      'Acme',
      'test.setup',
    );
    const testApp = new TestApp(
      services,
      apollo,
      server,
      `http://127.0.0.1:${port}`,
      dir,
      organization,
      {
        full: { name: 'full', secret, token },
      } as TestApp['identities'],
      database,
    );
    testApp.identities.readOnly = await testApp.createToken('read-only', TokenPermission.READ_ONLY);
    testApp.identities.expired = await testApp.createToken('expired', TokenPermission.FULL_ACCESS, {
      expiresAt: new Date(Date.now() - 60_000),
    });
    testApp.identities.inactive = await testApp.createToken(
      'inactive',
      TokenPermission.FULL_ACCESS,
      {
        active: false,
      },
    );
    testApp.identities.revoked = await testApp.createToken('revoked', TokenPermission.FULL_ACCESS, {
      revokedAt: new Date(Date.now() - 60_000),
    });
    return testApp;
  }

  /**
   * A token made directly in the database (fixture set-up, not audited); `overrides` may put it
   * in states the API refuses to create, such as an expiry in the past.
   */
  async createToken(
    name: string,
    permission: TokenPermission,
    overrides: Partial<
      Pick<ApiToken, 'expiresAt' | 'active' | 'revokedAt' | 'createdAt' | 'lastWriteAt'>
    > = {},
    organizationId = this.organization.id,
  ): Promise<Identity> {
    const { token, secret } = await this.services.db.write(async (manager) => {
      const created = await this.services.tokens.insert(manager, organizationId, {
        name,
        permission,
      });
      if (Object.keys(overrides).length > 0) {
        await manager.update(ApiToken, { id: created.token.id }, overrides);
        Object.assign(created.token, overrides);
      }
      return created;
    });
    return { name, secret, token };
  }

  /** A second organization with its own full-access token. */
  async otherOrganization(): Promise<{ organization: Organization; identity: Identity }> {
    const { organization, token, secret } = await this.services.organizations.create(
      'Other',
      'test.setup',
    );
    return { organization, identity: { name: 'other-org', secret, token } };
  }

  /** An HTTP client that sends `secret` as a Bearer token (or no Authorization header). */
  client(secret?: string): HttpClient {
    return new HttpClient(`${this.url}/graphql`, secret);
  }

  asFullAccess = () => this.client(this.identities.full.secret);
  asReadOnly = () => this.client(this.identities.readOnly.secret);
  asExpired = () => this.client(this.identities.expired.secret);
  asInactive = () => this.client(this.identities.inactive.secret);
  asRevoked = () => this.client(this.identities.revoked.secret);
  asAnonymous = () => this.client();

  /** The request context authentication builds for `secret`, for `executeOperation`. */
  contextFor(secret: string): Promise<RequestContext> {
    return this.services.authenticator.authenticate(`Bearer ${secret}`, {
      id: 'test',
      ip: '127.0.0.1',
      userAgent: 'jest',
    });
  }

  /** Runs an operation in-process through Apollo (no HTTP) as the holder of `secret`. */
  async execute<TData = Record<string, unknown>>(
    secret: string,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{
    data?: TData | null;
    errors?: readonly {
      message: string;
      path?: readonly (string | number)[];
      extensions?: Record<string, unknown>;
    }[];
  }> {
    const response = await this.apollo.executeOperation(
      { query, variables },
      { contextValue: await this.contextFor(secret) },
    );
    if (response.body.kind !== 'single') {
      throw new Error('expected a single result');
    }
    return response.body.singleResult as { data?: TData | null; errors?: [] };
  }

  /**
   * The data of an operation run in-process as the holder of `secret` (FULL_ACCESS unless told
   * otherwise); fails the test on any error.
   */
  async data<TData = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    secret = this.identities.full.secret,
  ): Promise<TData> {
    const result = await this.execute<TData>(secret, query, variables);
    expect(result.errors).toBeUndefined();
    if (!result.data) {
      throw new Error('no data');
    }
    return result.data;
  }

  /** The action under the system actor, for fixtures that go through services. */
  systemActor(action = 'test.fixture') {
    return systemActor(this.organization, action);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.apollo.stop();
    await closeServices(this.services);
    await this.database.drop();
  }
}
