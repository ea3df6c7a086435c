import { type MonitorStatus, MonitorType } from '../monitors/monitor-enums';

type Problem = MonitorStatus.WARN | MonitorStatus.DOWN;

/** What a check of each kind says when it finds a problem. */
export const CHECK_MESSAGES: Record<MonitorType, Record<Problem, readonly string[]>> = {
  [MonitorType.WEBSITE]: {
    WARN: ['Response time above 2 s', 'HTTP 429 Too Many Requests on some checks'],
    DOWN: [
      'HTTP 503 Service Unavailable',
      'Connection timed out after 30 s',
      'TLS handshake failed',
    ],
  },
  [MonitorType.PING]: {
    WARN: ['12% packet loss', 'Round-trip time above 300 ms'],
    DOWN: ['100% packet loss', 'Host unreachable'],
  },
  [MonitorType.SERVICE]: {
    WARN: [
      'The provider reports degraded performance',
      'The provider reports elevated error rates',
    ],
    DOWN: ['The provider reports a major outage', 'API requests fail with errors'],
  },
  [MonitorType.CUSTOM]: {
    WARN: ['The job ran longer than usual', 'Queue depth above the warning level'],
    DOWN: ['The job reported a failure', 'No heartbeat for three intervals'],
  },
};

export const MAINTENANCE_MESSAGE = 'Planned maintenance window';
export const RECOVERED_MESSAGES = ['Recovered', 'Check passed again'] as const;
export const FIRST_CHECK_MESSAGE = 'First check passed';

export const MAJOR_NAMES = [
  (m: string) => `Outage: ${m}`,
  (m: string) => `${m} is unavailable`,
] as const;

export const MINOR_NAMES = [
  (m: string) => `Degraded performance: ${m}`,
  (m: string) => `Intermittent errors: ${m}`,
] as const;

export const DETAILS = [
  'Some customers may see errors or slow pages while we work on it.',
  'Only part of the traffic is affected.',
  null,
] as const;

export const investigating = (m: string) =>
  `We are investigating problems with ${m} and will post an update within 30 minutes.`;

export const CAUSES = [
  'A faulty deploy was identified and is being rolled back.',
  'An expired certificate on the load balancer caused the errors; it is being renewed.',
  'The database connection pool was exhausted; capacity is being added.',
  'Our upstream provider confirmed an issue on their side.',
  'A firewall rule change blocked part of the traffic; it is being reverted.',
  'A disk filled up on one node; space is being freed.',
] as const;

export const MONITORING_MESSAGE = 'A fix is in place; we are watching the results.';
export const RESOLVED_MESSAGES = [
  'This incident has been resolved. Thank you for your patience.',
  'Resolved: everything works normally again.',
] as const;

export const maintenanceName = (m: string) => `Scheduled maintenance of ${m}`;
export const MAINTENANCE_STEPS = {
  scheduled: 'The work is planned for the announced window; short interruptions are possible.',
  inProgress: 'The maintenance has started.',
  verifying: 'The work is done; we are verifying that everything works.',
  completed: 'The maintenance is completed.',
} as const;
