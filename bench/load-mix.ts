import type { LoadFixture } from './load-fixture';

/** What one load request does; the mix draws one per request. */
export type RequestKind =
  'biPage' | 'viewer' | 'monitor' | 'recentIncidents' | 'createIncident' | 'addIncidentUpdate';

/** Why a response counts as an error (time-outs and connection errors come from autocannon). */
export type ResponseErrorKind = 'http4xx' | 'http5xx' | 'httpOther' | 'graphqlErrors' | 'badBody';

export const BI_PAGE = `query BiPage($after: String) {
  incidents(first: 1000, after: $after) {
    nodes { id name severity phase startedAt resolvedAt updatedAt monitors { id displayName status } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const VIEWER = '{ viewer { permission organization { id name } } }';
const MONITOR = 'query Monitor($id: ID!) { monitor(id: $id) { id displayName status updatedAt } }';
const RECENT = '{ incidents(first: 10) { nodes { id name phase startedAt } } }';
const CREATE = `mutation Create($input: CreateIncidentInput!) {
  createIncident(input: $input) { id phase updatedAt }
}`;
const ADD_UPDATE = `mutation AddUpdate($id: ID!, $input: IncidentUpdateInput!) {
  addIncidentUpdate(incidentId: $id, input: $input) { id phase updatedAt }
}`;

/** The cursor after each page: null (the first page), then each page's endCursor but the last's. */
export type PageCursors = (string | null)[];

export interface Draw {
  kind: RequestKind;
  body: string;
}

/**
 * 80% BI pages (`incidents(first: 1000)`, pages taken in turn so every depth is read), 15% small
 * reads (viewer, one monitor, the ten newest incidents), 5% writes (a new incident, or an update
 * on one the load created). Each response is checked: status 200, JSON, no `errors`, the data
 * asked for.
 */
export class LoadMix {
  private nextPage = 0;
  private drawn = 0;
  private readonly created: string[] = [];
  readonly counts: Record<RequestKind, number> = {
    biPage: 0,
    viewer: 0,
    monitor: 0,
    recentIncidents: 0,
    createIncident: 0,
    addIncidentUpdate: 0,
  };

  constructor(
    private readonly fixture: LoadFixture,
    private readonly pages: PageCursors,
    private readonly random: () => number = Math.random,
  ) {}

  draw(): Draw {
    const kind = this.kindOf(this.random());
    this.counts[kind]++;
    this.drawn++;
    return { kind, body: JSON.stringify(this.operation(kind)) };
  }

  private kindOf(r: number): RequestKind {
    if (r < 0.8) {
      return 'biPage';
    }
    if (r < 0.95) {
      return (['viewer', 'monitor', 'recentIncidents'] as const)[Math.floor((r - 0.8) / 0.05)];
    }
    return this.created.length === 0 || r < 0.975 ? 'createIncident' : 'addIncidentUpdate';
  }

  private operation(kind: RequestKind): { query: string; variables?: Record<string, unknown> } {
    const pick = <T>(items: readonly T[]) => items[Math.floor(this.random() * items.length)];
    switch (kind) {
      case 'biPage':
        return {
          query: BI_PAGE,
          variables: { after: this.pages[this.nextPage++ % this.pages.length] },
        };
      case 'viewer':
        return { query: VIEWER };
      case 'monitor':
        return { query: MONITOR, variables: { id: pick(this.fixture.monitorIds) } };
      case 'recentIncidents':
        return { query: RECENT };
      case 'createIncident':
        return {
          query: CREATE,
          variables: {
            input: {
              boardId: this.fixture.boardId,
              name: `Load incident ${this.drawn}`,
              severity: 'MINOR',
              details: 'Raised by the load test.',
              monitorIds: [pick(this.fixture.monitorIds), pick(this.fixture.monitorIds)].filter(
                (id, i, ids) => ids.indexOf(id) === i,
              ),
            },
          },
        };
      case 'addIncidentUpdate':
        return {
          query: ADD_UPDATE,
          variables: {
            id: pick(this.created),
            input: {
              message: `Still looking (${this.drawn}).`,
              phase: this.random() < 0.5 ? 'IDENTIFIED' : 'MONITORING',
            },
          },
        };
    }
  }

  /** Null when the response is what `kind` should get; otherwise why not. */
  check(kind: RequestKind, status: number, body: string): ResponseErrorKind | null {
    if (status !== 200) {
      return status >= 500 ? 'http5xx' : status >= 400 ? 'http4xx' : 'httpOther';
    }
    let parsed: { data?: Record<string, unknown> | null; errors?: unknown[] };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      return 'badBody';
    }
    if (parsed.errors !== undefined) {
      return 'graphqlErrors';
    }
    const data = parsed.data ?? {};
    switch (kind) {
      case 'biPage': {
        const page = data.incidents as { nodes?: unknown[] } | undefined;
        return page?.nodes && page.nodes.length > 0 ? null : 'badBody';
      }
      case 'createIncident': {
        const id = (data.createIncident as { id?: string } | undefined)?.id;
        if (id === undefined) {
          return 'badBody';
        }
        this.created.push(id);
        return null;
      }
      default:
        return Object.values(data).some((value) => value == null) ? 'badBody' : null;
    }
  }
}
