import { execute, parse } from 'graphql';
import { resolverContainer, type Services } from '../src/app';
import type { RequestContext } from '../src/core/context';
import { buildBareSchema } from '../src/server/schema';
import type { HttpApp } from '../src/server/http-app';
import { cpu, median, pairedRatio, sideBySide, startClocks, type Timing, wall } from './stats';

export const AUTHORIZATION_TARGETS = { vsNoAuthorization: 1.1, vsBareExecute: 1.2 } as const;

export interface OverheadFigures {
  /** Median wall-clock ms: Apollo with the shield middleware, as the server runs. */
  shieldMs: number;
  /** Median wall-clock ms: Apollo with the same options, the schema without the middleware. */
  noAuthorizationMs: number;
  /** Median wall-clock ms: graphql-js `execute` of the schema without the middleware. */
  bareExecuteMs: number;
  /** Median of the round-by-round ratios of CPU time (the targets' measure). */
  vsNoAuthorization: number;
  vsBareExecute: number;
  /** The same ratios on the wall clock, which a busy machine blurs. */
  vsNoAuthorizationWall: number;
  vsBareExecuteWall: number;
}

export interface AuthorizationOverhead {
  rows: number;
  rounds: number;
  onePage: OverheadFigures;
  tenPages: OverheadFigures;
  targets: typeof AUTHORIZATION_TARGETS;
}

const PAGE = 1000;
const PAGES = 10;

// Every incident field a list shows, plus its monitors (a second, batched query per page).
const QUERY = `query AuthorizationOverhead($after: String) {
  incidents(first: ${PAGE}, after: $after) {
    nodes {
      id name details severity phase startedAt resolvedAt updatedAt
      monitors { id displayName status monitorType }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface PageData {
  incidents: {
    nodes: { id: string; monitors: unknown[] }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

/** What both Apollo and graphql-js answer: data, and errors when there are any. */
interface Result {
  data?: unknown;
  errors?: readonly unknown[];
}

type Run = (after: string | null, contextValue: RequestContext) => Promise<Result>;

/**
 * Figure 1: what authorization costs on the largest list. The same page of 1000 incidents with
 * their monitors (and ten such pages in a row) in-process through Apollo with the shield
 * middleware, through Apollo with the same options and no middleware, and through graphql-js
 * `execute` of that bare schema: same database, same resolvers, same rows. Each request gets a
 * fresh context (its own DataLoaders), built before the clock starts.
 */
export async function measureAuthorizationOverhead(
  services: Services,
  secured: HttpApp,
  unsecured: HttpApp,
  secret: string,
  rounds: number,
): Promise<AuthorizationOverhead> {
  const bareSchema = await buildBareSchema(resolverContainer(services));
  const document = parse(QUERY);
  const viaApollo =
    ({ apollo }: HttpApp): Run =>
    async (after, contextValue) => {
      const response = await apollo.executeOperation(
        { query: QUERY, variables: { after } },
        { contextValue },
      );
      if (response.body.kind !== 'single') {
        throw new Error('expected a single result');
      }
      return response.body.singleResult;
    };
  const runs = {
    shield: viaApollo(secured),
    noAuthorization: viaApollo(unsecured),
    bareExecute: (after: string | null, contextValue: RequestContext) =>
      Promise.resolve(
        execute({ schema: bareSchema, document, variableValues: { after }, contextValue }),
      ),
  } satisfies Record<string, Run>;
  const context = () =>
    services.authenticator.authenticate(`Bearer ${secret}`, {
      id: 'bench',
      ip: '127.0.0.1',
      userAgent: 'bench',
    });

  /** `pages` pages in a row, following endCursor, the contexts made before the clocks start. */
  const timed = async (run: Run, pages: number): Promise<Timing> => {
    const contexts = await Promise.all(Array.from({ length: pages }, context));
    let after: string | null = null;
    const stop = startClocks();
    for (const contextValue of contexts) {
      after = pageOf(await run(after, contextValue)).pageInfo.endCursor;
    }
    return stop();
  };

  // The three must give the very same answer, or the comparison means nothing.
  const answers: string[] = [];
  for (const run of Object.values(runs)) {
    let after: string | null = null;
    let text = '';
    for (let page = 0; page < PAGES; page++) {
      const data = pageOf(await run(after, await context()));
      text += JSON.stringify(data);
      after = data.pageInfo.endCursor;
    }
    answers.push(text);
  }
  if (answers.some((answer) => answer !== answers[0])) {
    throw new Error('Apollo with and without authorization and bare execute answer differently');
  }

  const figures = async (pages: number): Promise<OverheadFigures> => {
    const samples = await sideBySide(
      {
        shield: () => timed(runs.shield, pages),
        noAuthorization: () => timed(runs.noAuthorization, pages),
        bareExecute: () => timed(runs.bareExecute, pages),
      },
      rounds,
      2,
    );
    const { shield, noAuthorization, bareExecute } = samples;
    return {
      shieldMs: median(wall(shield)),
      noAuthorizationMs: median(wall(noAuthorization)),
      bareExecuteMs: median(wall(bareExecute)),
      vsNoAuthorization: pairedRatio(cpu(shield), cpu(noAuthorization)),
      vsBareExecute: pairedRatio(cpu(shield), cpu(bareExecute)),
      vsNoAuthorizationWall: pairedRatio(wall(shield), wall(noAuthorization)),
      vsBareExecuteWall: pairedRatio(wall(shield), wall(bareExecute)),
    };
  };
  return {
    rows: PAGE,
    rounds,
    onePage: await figures(1),
    tenPages: await figures(PAGES),
    targets: AUTHORIZATION_TARGETS,
  };
}

/** The page of a result that must be complete: 1000 incidents, some with monitors, no errors. */
function pageOf(result: Result): PageData['incidents'] {
  const page = (result.data as PageData | null | undefined)?.incidents;
  if (
    result.errors ||
    !page ||
    page.nodes.length !== PAGE ||
    !page.nodes.some((node) => node.monitors.length > 0)
  ) {
    throw new Error(`unexpected page: ${JSON.stringify(result.errors ?? page?.nodes.length)}`);
  }
  return page;
}
