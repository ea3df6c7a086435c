import { isIP } from 'node:net';
import { UserInputError } from '../core/errors';
import { checkIntegerRange, checkName, checkNoNul } from '../core/validation';
import { MonitorType } from './monitor-enums';
import type { HttpHeader } from './monitor.entity';

export const MAX_HEADERS = 20;
export const DEFAULT_CHECK_INTERVAL_MINUTES = 5;

/** The kind-specific fields of a monitor, as they would be after a create or an update. */
export interface MonitorShape {
  monitorType: MonitorType;
  displayName: string;
  url: string | null;
  host: string | null;
  serviceName: string | null;
  checkIntervalMinutes: number;
  requestHeaders: HttpHeader[] | null;
}

const OWNER: Record<'url' | 'host' | 'serviceName', MonitorType> = {
  url: MonitorType.WEBSITE,
  host: MonitorType.PING,
  serviceName: MonitorType.SERVICE,
};

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const HOST_NAME =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

export const HOST_MAX = 253;
export const URL_MAX = 2048;

function checkUrl(url: string): void {
  if (url.length > URL_MAX) {
    throw new UserInputError(`url must be at most ${URL_MAX} characters.`, 'url');
  }
  checkNoNul(url, 'url');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserInputError('url must be an absolute http:// or https:// URL.', 'url');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UserInputError('url must be an absolute http:// or https:// URL.', 'url');
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new UserInputError(
      'url must not contain credentials (user:password@); send them as requestHeaders instead.',
      'url',
    );
  }
}

// The length first: isIP accepts an IPv6 zone id (fe80::1%eth0) of any length, which the column
// (253 characters, the longest host name) cannot hold.
function checkHost(host: string): void {
  if (host.length > HOST_MAX) {
    throw new UserInputError(`host must be at most ${HOST_MAX} characters.`, 'host');
  }
  if (!(HOST_NAME.test(host) || isIP(host) !== 0)) {
    throw new UserInputError(
      'host must be a host name or an IP address, without a scheme or port.',
      'host',
    );
  }
}

function checkHeaders(headers: HttpHeader[]): void {
  if (headers.length > MAX_HEADERS) {
    throw new UserInputError(
      `requestHeaders may hold at most ${MAX_HEADERS} headers.`,
      'requestHeaders',
    );
  }
  for (const header of headers) {
    if (!HEADER_NAME.test(header.name)) {
      throw new UserInputError(
        'requestHeaders: a name must be an HTTP header name (letters, digits, -).',
        'requestHeaders',
      );
    }
    if (header.value.length > 4096 || /[\r\n\0]/.test(header.value)) {
      throw new UserInputError(
        'requestHeaders: a value must be at most 4096 characters without line breaks.',
        'requestHeaders',
      );
    }
  }
}

/** Every rule of a monitor's fields; messages name the field and the rule, never the value. */
export function checkMonitorShape(shape: MonitorShape): void {
  checkName(shape.displayName, 'displayName');
  checkIntegerRange(shape.checkIntervalMinutes, 'checkIntervalMinutes', 1, 1440);
  for (const field of ['url', 'host', 'serviceName'] as const) {
    const owner = OWNER[field];
    if (shape[field] !== null && shape.monitorType !== owner) {
      throw new UserInputError(`${field} applies only to ${owner} monitors.`, field);
    }
    if (shape[field] === null && shape.monitorType === owner) {
      throw new UserInputError(`A ${owner} monitor needs ${field}.`, field);
    }
  }
  if (shape.url !== null) {
    checkUrl(shape.url);
  }
  if (shape.host !== null) {
    checkHost(shape.host);
  }
  if (shape.serviceName !== null) {
    checkName(shape.serviceName, 'serviceName');
  }
  if (shape.requestHeaders !== null) {
    if (shape.monitorType !== MonitorType.WEBSITE) {
      throw new UserInputError('requestHeaders apply only to WEBSITE monitors.', 'requestHeaders');
    }
    checkHeaders(shape.requestHeaders);
  }
}
