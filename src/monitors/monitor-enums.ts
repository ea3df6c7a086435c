import { registerEnumType } from 'type-graphql';

export enum MonitorType {
  SERVICE = 'SERVICE',
  WEBSITE = 'WEBSITE',
  PING = 'PING',
  CUSTOM = 'CUSTOM',
}

registerEnumType(MonitorType, {
  name: 'MonitorType',
  description: 'What a monitor watches; each type needs its own field.',
  valuesConfig: {
    SERVICE: { description: 'A cloud service or SaaS; needs serviceName.' },
    WEBSITE: { description: 'An http(s) URL; needs url, may carry requestHeaders.' },
    PING: { description: 'A host answering ping; needs host.' },
    CUSTOM: { description: 'Status pushed by your own scripts with setMonitorStatus.' },
  },
});

export enum MonitorStatus {
  UP = 'UP',
  WARN = 'WARN',
  DOWN = 'DOWN',
  MAINTENANCE = 'MAINTENANCE',
  UNKNOWN = 'UNKNOWN',
}

registerEnumType(MonitorStatus, {
  name: 'MonitorStatus',
  valuesConfig: { UNKNOWN: { description: 'No status has been reported yet.' } },
});
