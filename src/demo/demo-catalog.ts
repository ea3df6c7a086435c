import { IncidentPhase, IncidentSeverity } from '../incidents/incident-enums';
import { MonitorStatus, MonitorType } from '../monitors/monitor-enums';
import type { HttpHeader } from '../monitors/monitor.entity';

/** What the demo organization watches; names and hosts on the reserved example domains only. */
export const DEMO_BOARDS = [
  'Production',
  'Customer-facing websites',
  'Internal tools',
  'Infrastructure',
] as const;

export type DemoBoardName = (typeof DEMO_BOARDS)[number];

export interface DemoMonitorSpec {
  board: DemoBoardName;
  displayName: string;
  monitorType: MonitorType;
  url?: string;
  host?: string;
  serviceName?: string;
  checkIntervalMinutes: number;
  requestHeaders?: HttpHeader[];
  /** Paused this many days ago; its history stops then. */
  pausedDaysAgo?: number;
}

const { WEBSITE, PING, SERVICE, CUSTOM } = MonitorType;
// Obviously fake credentials: the demo shows where they go, not a usable secret.
const bearer = (value: string): HttpHeader => ({ name: 'Authorization', value: `Bearer ${value}` });
const ACCEPT_JSON: HttpHeader = { name: 'Accept', value: 'application/json' };

export const DEMO_MONITORS: readonly DemoMonitorSpec[] = [
  {
    board: 'Production',
    displayName: 'API health',
    monitorType: WEBSITE,
    url: 'https://api.example.com/health',
    checkIntervalMinutes: 1,
    requestHeaders: [bearer('demo-health-check-not-a-real-token'), ACCEPT_JSON],
  },
  {
    board: 'Production',
    displayName: 'Web app',
    monitorType: WEBSITE,
    url: 'https://app.example.com/',
    checkIntervalMinutes: 1,
  },
  {
    board: 'Production',
    displayName: 'GraphQL gateway',
    monitorType: WEBSITE,
    url: 'https://api.example.com/graphql?query=%7B__typename%7D',
    checkIntervalMinutes: 5,
    requestHeaders: [{ name: 'X-Health-Check', value: 'statusgraph-demo' }],
  },
  {
    board: 'Production',
    displayName: 'Login',
    monitorType: WEBSITE,
    url: 'https://auth.example.com/login',
    checkIntervalMinutes: 5,
  },
  {
    board: 'Production',
    displayName: 'Stripe API',
    monitorType: SERVICE,
    serviceName: 'Stripe API',
    checkIntervalMinutes: 5,
  },
  {
    board: 'Production',
    displayName: 'Managed database',
    monitorType: SERVICE,
    serviceName: 'AWS RDS (eu-central-1)',
    checkIntervalMinutes: 5,
  },
  {
    board: 'Production',
    displayName: 'Payment queue depth',
    monitorType: CUSTOM,
    checkIntervalMinutes: 1,
  },
  {
    board: 'Production',
    displayName: 'Order export job',
    monitorType: CUSTOM,
    checkIntervalMinutes: 15,
  },
  {
    board: 'Customer-facing websites',
    displayName: 'Marketing site',
    monitorType: WEBSITE,
    url: 'https://www.example.com/',
    checkIntervalMinutes: 5,
  },
  {
    board: 'Customer-facing websites',
    displayName: 'Online shop',
    monitorType: WEBSITE,
    url: 'https://shop.example.com/',
    checkIntervalMinutes: 1,
  },
  {
    board: 'Customer-facing websites',
    displayName: 'Checkout',
    monitorType: WEBSITE,
    url: 'https://shop.example.com/checkout',
    checkIntervalMinutes: 1,
  },
  {
    board: 'Customer-facing websites',
    displayName: 'Documentation',
    monitorType: WEBSITE,
    url: 'https://docs.example.org/',
    checkIntervalMinutes: 10,
  },
  {
    board: 'Customer-facing websites',
    displayName: 'Blog',
    monitorType: WEBSITE,
    url: 'https://blog.example.net/',
    checkIntervalMinutes: 15,
  },
  {
    board: 'Customer-facing websites',
    displayName: 'Help center',
    monitorType: WEBSITE,
    url: 'https://help.example.com/',
    checkIntervalMinutes: 10,
  },
  {
    board: 'Customer-facing websites',
    displayName: 'CDN',
    monitorType: SERVICE,
    serviceName: 'Cloudflare',
    checkIntervalMinutes: 5,
  },
  {
    board: 'Customer-facing websites',
    displayName: 'Support desk',
    monitorType: SERVICE,
    serviceName: 'Zendesk',
    checkIntervalMinutes: 10,
  },
  {
    board: 'Internal tools',
    displayName: 'Intranet',
    monitorType: WEBSITE,
    url: 'https://intranet.example.com/',
    checkIntervalMinutes: 10,
    // "demo:not-a-real-password"
    requestHeaders: [{ name: 'Authorization', value: 'Basic ZGVtbzpub3QtYS1yZWFsLXBhc3N3b3Jk' }],
  },
  {
    board: 'Internal tools',
    displayName: 'CI server',
    monitorType: WEBSITE,
    url: 'https://ci.example.com/api/health',
    checkIntervalMinutes: 5,
    requestHeaders: [bearer('demo-ci-not-a-real-token'), ACCEPT_JSON],
  },
  {
    board: 'Internal tools',
    displayName: 'Wiki',
    monitorType: WEBSITE,
    url: 'https://wiki.example.org/',
    checkIntervalMinutes: 15,
  },
  {
    board: 'Internal tools',
    displayName: 'GitHub',
    monitorType: SERVICE,
    serviceName: 'GitHub',
    checkIntervalMinutes: 5,
  },
  {
    board: 'Internal tools',
    displayName: 'Slack',
    monitorType: SERVICE,
    serviceName: 'Slack',
    checkIntervalMinutes: 10,
  },
  {
    board: 'Internal tools',
    displayName: 'Issue tracker',
    monitorType: SERVICE,
    serviceName: 'Jira Cloud',
    checkIntervalMinutes: 15,
  },
  {
    board: 'Internal tools',
    displayName: 'Nightly backup',
    monitorType: CUSTOM,
    checkIntervalMinutes: 1440,
  },
  {
    board: 'Infrastructure',
    displayName: 'Core router',
    monitorType: PING,
    host: '10.0.0.1',
    checkIntervalMinutes: 1,
  },
  {
    board: 'Infrastructure',
    displayName: 'Database primary',
    monitorType: PING,
    host: 'db-primary.internal.example.com',
    checkIntervalMinutes: 1,
  },
  {
    board: 'Infrastructure',
    displayName: 'Database replica',
    monitorType: PING,
    host: 'db-replica.internal.example.com',
    checkIntervalMinutes: 1,
  },
  {
    board: 'Infrastructure',
    displayName: 'VPN gateway',
    monitorType: PING,
    host: 'vpn.example.com',
    checkIntervalMinutes: 5,
  },
  {
    board: 'Infrastructure',
    displayName: 'Office firewall',
    monitorType: PING,
    host: '192.0.2.10',
    checkIntervalMinutes: 5,
  },
  {
    board: 'Infrastructure',
    displayName: 'Backup NAS',
    monitorType: PING,
    host: '198.51.100.23',
    checkIntervalMinutes: 15,
    pausedDaysAgo: 6,
  },
  {
    board: 'Infrastructure',
    displayName: 'DNS resolver (IPv6)',
    monitorType: PING,
    host: '2001:db8::53',
    checkIntervalMinutes: 5,
  },
  {
    board: 'Infrastructure',
    displayName: 'Object storage',
    monitorType: SERVICE,
    serviceName: 'AWS S3',
    checkIntervalMinutes: 5,
  },
  {
    board: 'Infrastructure',
    displayName: 'Disk usage',
    monitorType: CUSTOM,
    checkIntervalMinutes: 5,
  },
];

/** An incident still open now, on the monitor named first, which is not UP since it began. */
export interface OpenIncidentSpec {
  monitors: [string, ...string[]];
  status: MonitorStatus.WARN | MonitorStatus.DOWN;
  sinceMinutesAgo: number;
  severity: IncidentSeverity.MINOR | IncidentSeverity.MAJOR;
  name: string;
  details: string;
  /** Phases after INVESTIGATING, with their messages and minutes after the start. */
  later: { phase: IncidentPhase; message: string; minutes: number }[];
}

export const OPEN_INCIDENTS: readonly OpenIncidentSpec[] = [
  {
    monitors: ['Payment queue depth', 'Stripe API'],
    status: MonitorStatus.DOWN,
    sinceMinutesAgo: 95,
    severity: IncidentSeverity.MAJOR,
    name: 'Card payments are delayed',
    details: 'Orders are accepted, but card payments are confirmed with a delay of up to an hour.',
    later: [
      {
        phase: IncidentPhase.IDENTIFIED,
        message: 'A stuck consumer blocks the payment queue; we are restarting it node by node.',
        minutes: 38,
      },
    ],
  },
  {
    monitors: ['Documentation'],
    status: MonitorStatus.WARN,
    sinceMinutesAgo: 310,
    severity: IncidentSeverity.MINOR,
    name: 'Documentation search is slow',
    details: 'Search results on docs.example.org take several seconds to appear.',
    later: [
      {
        phase: IncidentPhase.IDENTIFIED,
        message: 'The search index is being rebuilt after a failed update.',
        minutes: 45,
      },
      {
        phase: IncidentPhase.MONITORING,
        message: 'The rebuild is two-thirds done; response times are improving.',
        minutes: 170,
      },
    ],
  },
  {
    monitors: ['GitHub', 'CI server'],
    status: MonitorStatus.WARN,
    sinceMinutesAgo: 42,
    severity: IncidentSeverity.MINOR,
    name: 'Builds are queued longer than usual',
    details: 'GitHub reports degraded performance for webhooks; builds start late.',
    later: [],
  },
];

/** The maintenance announced for the coming days. */
export const SCHEDULED_MAINTENANCE = {
  board: 'Infrastructure' as DemoBoardName,
  monitors: ['Database primary', 'Database replica'],
  name: 'Database upgrade to PostgreSQL 17',
  details: 'The primary and replica databases are upgraded one after the other.',
  message: 'Expect up to ten minutes of read-only mode while the primary switches over.',
  announcedHoursAgo: 26,
  startsInDays: 4,
  hours: 2,
};
