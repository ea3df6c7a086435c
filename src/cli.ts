#!/usr/bin/env node
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { GraphQLError } from 'graphql';
import { closeServices, openServices, type Services } from './app';
import { ConfigError, loadConfig } from './core/config';
import type { Actor } from './core/context';
import { createLogger } from './core/logger';
import type { Organization } from './organizations/organization.entity';
import { systemActor } from './organizations/organization.service';
import type { ApiToken } from './tokens/api-token.entity';
import { TokenPermission } from './tokens/token-permission';
import { ErrorCode } from './core/errors';

const USAGE = `Usage:
  statusgraph org create --name NAME [--json]
  statusgraph token create --org ID --name NAME --permission full-access|read-only [--expires-at ISO]
                           [--boards ID,ID...] [--json]
  statusgraph token list --org ID [--json]
  statusgraph token revoke ID [--json]

Settings come from the environment, as for the server (DATABASE_URL, LOG_LEVEL).`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

/** A mistake in the command line itself. */
class UsageError extends Error {}

const PERMISSIONS: Record<string, TokenPermission> = {
  'full-access': TokenPermission.FULL_ACCESS,
  'read-only': TokenPermission.READ_ONLY,
};

/** The boards of a token's scope as the API names them (`ApiToken.boards`); null: every board. */
type ScopeJson = { id: string; name: string }[] | null;

async function scopeOf(services: Services, actor: Actor, token: ApiToken): Promise<ScopeJson> {
  const ids = await services.tokens.scopeOf(actor, token);
  if (ids === null) {
    return null;
  }
  const boards = await Promise.all(ids.map((id) => services.boards.load(actor, id)));
  return boards.flatMap((board) => (board ? [{ id: board.id, name: board.name }] : []));
}

/** A token as the API shows it (field names as in the schema); the hash never. */
function tokenJson(token: ApiToken, boards: ScopeJson) {
  return {
    id: token.id,
    name: token.name,
    permission: token.permission,
    prefix: token.prefix,
    status: token.status,
    active: token.active,
    expiresAt: token.expiresAt?.toISOString() ?? null,
    createdAt: token.createdAt.toISOString(),
    revokedAt: token.revokedAt?.toISOString() ?? null,
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
    lastUsedIp: token.lastUsedIp,
    lastUsedUserAgent: token.lastUsedUserAgent,
    lastWriteAt: token.lastWriteAt?.toISOString() ?? null,
    suggestedPermission: token.suggestedPermission,
    boards,
  };
}

/** `--boards a,b`: the board ids of a scope, or null when the flag is absent (every board). */
function boardIds(value: string | undefined): string[] | null {
  if (value === undefined) {
    return null;
  }
  return value
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
}

const scopeText = (boards: ScopeJson) =>
  boards === null ? 'every board' : `boards ${boards.map((b) => b.id).join(',') || '(none left)'}`;

const organizationJson = (organization: Organization) => ({
  id: organization.id,
  name: organization.name,
});

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') {
    throw new UsageError(`${flag} is required.`);
  }
  return value;
}

async function organization(services: Services, id: string): Promise<Organization> {
  const found = await services.organizations.get(id);
  if (!found) {
    throw new UsageError('No organization with this id; `statusgraph org create` makes one.');
  }
  return found;
}

type Result = { json: object; text: string };

async function execute(services: Services, args: string[]): Promise<Result> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      org: { type: 'string' },
      permission: { type: 'string' },
      'expires-at': { type: 'string' },
      boards: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const command = positionals.slice(0, 2).join(' ');
  switch (command) {
    case 'org create': {
      const created = await services.organizations.create(
        required(values.name, '--name'),
        'cli.org.create',
      );
      return {
        json: {
          organization: organizationJson(created.organization),
          token: tokenJson(created.token, null),
          secret: created.secret,
        },
        text: `Created organization ${created.organization.id} ("${created.organization.name}") with a full-access token.\nSecret (shown only now): ${created.secret}`,
      };
    }
    case 'token create': {
      const org = await organization(services, required(values.org, '--org'));
      const permission = PERMISSIONS[required(values.permission, '--permission')];
      if (!permission) {
        throw new UsageError('--permission must be full-access or read-only.');
      }
      const expiresAt = values['expires-at'] === undefined ? null : new Date(values['expires-at']);
      if (expiresAt && Number.isNaN(expiresAt.getTime())) {
        throw new UsageError('--expires-at must be an ISO 8601 time, e.g. 2027-01-01T00:00:00Z.');
      }
      const actor = systemActor(org, 'cli.token.create');
      const { token, secret } = await services.tokens.create(actor, {
        name: required(values.name, '--name'),
        permission,
        expiresAt,
        boardIds: boardIds(values.boards),
      });
      const boards = await scopeOf(services, actor, token);
      return {
        json: { organization: organizationJson(org), token: tokenJson(token, boards), secret },
        text: `Created ${token.permission} token ${token.id} ("${token.name}") for ${scopeText(boards)}.\nSecret (shown only now): ${secret}`,
      };
    }
    case 'token list': {
      const org = await organization(services, required(values.org, '--org'));
      const tokens = await services.tokens.listAll(org.id);
      const actor = systemActor(org, 'cli.token.list');
      const scopes = await Promise.all(tokens.map((t) => scopeOf(services, actor, t)));
      return {
        json: { tokens: tokens.map((t, i) => tokenJson(t, scopes[i])) },
        text: tokens
          .map(
            (t, i) =>
              `${t.id}  ${t.prefix}…  ${t.permission.padEnd(11)}  ${t.status.padEnd(8)}  ${t.name}  (${scopeText(scopes[i])})`,
          )
          .join('\n'),
      };
    }
    case 'token revoke': {
      const id = required(positionals[2], 'the token id');
      const token = await services.tokens.findAnywhere(id);
      if (!token) {
        throw new UsageError('No token with this id.');
      }
      const actor = systemActor(
        await organization(services, token.organizationId),
        'cli.token.revoke',
      );
      const revoked = await services.tokens.revoke(actor, id);
      return {
        json: { token: tokenJson(revoked, await scopeOf(services, actor, revoked)) },
        text: `Revoked token ${revoked.id} ("${revoked.name}").`,
      };
    }
    default:
      throw new UsageError(`Unknown command "${command}".`);
  }
}

/** Runs one command; returns the exit code. With --json, stdout gets exactly one JSON object. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  const fail = (message: string, code: string) => {
    if (json) {
      io.stdout(JSON.stringify({ error: { message, code } }) + '\n');
    }
    io.stderr(`statusgraph: ${message}\n`);
    return 1;
  };
  if (argv.length === 0 || argv.includes('--help')) {
    io.stderr(USAGE + '\n');
    return argv.length === 0 ? 1 : 0;
  }
  let services: Services | undefined;
  try {
    const config = loadConfig(io.env);
    services = await openServices(config, createLogger(config.logLevel, 2));
    const result = await execute(services, argv);
    io.stdout((json ? JSON.stringify(result.json) : result.text) + '\n');
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      return fail(
        error.message + (error instanceof UsageError ? `\n${USAGE}` : ''),
        ErrorCode.BAD_USER_INPUT,
      );
    }
    if (error instanceof GraphQLError) {
      return fail(error.message, String(error.extensions.code));
    }
    if (
      error instanceof TypeError &&
      'code' in error &&
      String(error.code).startsWith('ERR_PARSE_ARGS')
    ) {
      return fail(`${error.message}\n${USAGE}`, ErrorCode.BAD_USER_INPUT);
    }
    return fail(
      `could not run the command: ${error instanceof Error ? error.message : String(error)}`,
      ErrorCode.INTERNAL_SERVER_ERROR,
    );
  } finally {
    if (services) {
      await closeServices(services);
    }
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  }).then((code) => {
    process.exitCode = code;
  });
}
