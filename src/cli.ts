#!/usr/bin/env node
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { GraphQLError } from 'graphql';
import { closeServices, openServices, type Services } from './app';
import { ConfigError, loadConfig } from './core/config';
import type { Actor } from './core/context';
import { withEnvFile } from './core/env-file';
import { parseNamedDateTime } from './graphql/date-time.scalar';
import { createLogger } from './core/logger';
import type { Organization } from './organizations/organization.entity';
import { systemActor } from './organizations/organization.service';
import type { ApiToken } from './tokens/api-token.entity';
import { TokenPermission } from './tokens/token-permission';
import { ErrorCode } from './core/errors';

/** Each command's usage line, so a usage error can show the one that matters. */
const COMMANDS: Record<string, string> = {
  'org create': 'statusgraph org create --name NAME [--json]',
  'org list': 'statusgraph org list [--json]',
  'board list': 'statusgraph board list [--org ID] [--json]',
  'token create':
    'statusgraph token create [--org ID] --name NAME --permission read-only|full-access [--expires-at ISO] [--boards ID,ID...] [--json]',
  'token list': 'statusgraph token list [--org ID] [--json]',
  'token deactivate': 'statusgraph token deactivate ID [--json]',
  'token activate': 'statusgraph token activate ID [--json]',
  'token set-permission':
    'statusgraph token set-permission ID --permission read-only|full-access [--json]',
  'token set-expiry': 'statusgraph token set-expiry ID --expires-at ISO|--none [--json]',
  'token set-boards': 'statusgraph token set-boards ID --boards ID,ID...|--all [--json]',
  'token rotate': 'statusgraph token rotate ID [--grace-minutes N] [--json]',
  'token revoke': 'statusgraph token revoke ID [--json]',
};

const USAGE = `Usage:
${Object.values(COMMANDS)
  .map((line) => `  ${line}`)
  .join('\n')}

--org may be left out when the database holds one organization. --permission also takes
READ_ONLY and FULL_ACCESS, as in the API. --boards limits a token to those boards (API.md
section 11), by the ids board list shows; --all gives it every board again.
Settings come from the environment, as for the server (DATABASE_URL, LOG_LEVEL).`;

/** The usage line of the command in `argv`, or the whole usage when it names none. */
function usageFor(argv: string[]): string {
  const line =
    COMMANDS[
      argv
        .filter((arg) => !arg.startsWith('-'))
        .slice(0, 2)
        .join(' ')
    ];
  return line === undefined ? USAGE : `Usage: ${line}`;
}

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
  FULL_ACCESS: TokenPermission.FULL_ACCESS,
  READ_ONLY: TokenPermission.READ_ONLY,
};

function permissionOf(value: string | undefined): TokenPermission {
  const permission = PERMISSIONS[required(value, '--permission')];
  if (!permission) {
    throw new UsageError(
      '--permission must be full-access or read-only. FULL_ACCESS and READ_ONLY, as in the API, work too.',
    );
  }
  return permission;
}

/**
 * `--expires-at` read as the API reads a DateTime: `new Date` would roll 2027-02-30 over to March
 * and store a year past 9999 as year 0 (a token expired from the moment it was made).
 */
function expiryOf(value: string | undefined): Date | null {
  if (value === undefined) {
    return null;
  }
  try {
    return parseNamedDateTime('--expires-at', value);
  } catch (error) {
    throw error instanceof GraphQLError ? new UsageError(error.message) : error;
  }
}

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

/** `--boards a,b`: the board ids of a scope, or null when the flag is absent (every board). */
function boardIdsOf(value: string | undefined): string[] | null {
  if (value === undefined) {
    return null;
  }
  return value
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
}

/** `--boards ID,ID` or `--all` (every board), exactly one of them. */
function scopeFlag(values: { boards?: string; all?: boolean }): string[] | null {
  if ((values.boards === undefined) === (values.all !== true)) {
    throw new UsageError('Give either --boards ID,ID… or --all.');
  }
  return boardIdsOf(values.boards);
}

const scopeText = (boards: ScopeJson) =>
  boards === null ? 'all' : boards.map((b) => b.id).join(',') || '(none left)';

/** Tokens with their scopes, as the output shows them. */
async function described(
  services: Services,
  actor: Actor,
  tokens: ApiToken[],
): Promise<{ token: ApiToken; boards: ScopeJson }[]> {
  return Promise.all(
    tokens.map(async (token) => ({ token, boards: await scopeOf(services, actor, token) })),
  );
}

/** A token as the API shows it (field names as in the schema); the hash never. */
function tokenJson({ token, boards }: { token: ApiToken; boards: ScopeJson }) {
  return {
    id: token.id,
    name: token.name,
    permission: token.permission,
    prefix: token.prefix,
    status: token.status,
    // A revoked token is never active, whatever its switch said before.
    active: token.active && token.revokedAt === null,
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

/** An id that names nothing: NOT_FOUND, as in the API, and not a usage error (no usage line). */
function notFound(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.NOT_FOUND } });
}

async function organization(services: Services, id: string): Promise<Organization> {
  const found = await services.organizations.get(id);
  if (!found) {
    throw notFound('No organization with this id; `statusgraph org list` shows them.');
  }
  return found;
}

/** The organization `--org` names, or the only one when it is left out. */
async function organizationOrOnly(
  services: Services,
  id: string | undefined,
): Promise<Organization> {
  if (id !== undefined) {
    return organization(services, required(id, '--org'));
  }
  const all = await services.organizations.listAll();
  if (all.length === 1) {
    return all[0];
  }
  throw new UsageError(
    all.length === 0
      ? 'There is no organization yet; `statusgraph org create --name NAME` makes one.'
      : `--org is required when there are ${all.length} organizations; \`statusgraph org list\` shows their ids.`,
  );
}

type Result = { json: object; text: string };

/** A token command's id and the operator's actor in the token's organization. */
async function tokenAction(services: Services, id: string | undefined, command: string) {
  const token = await services.tokens.findAnywhere(required(id, 'the token id'));
  if (!token) {
    throw notFound('No token with this id; `statusgraph token list` shows them.');
  }
  const org = await organization(services, token.organizationId);
  return { actor: systemActor(org, `cli.${command.replace(' ', '.')}`), id: token.id };
}

/** `--expires-at ISO` or `--none` (no expiry), exactly one of them. */
function expiryFlag(values: { 'expires-at'?: string; none?: boolean }): Date | null {
  if ((values['expires-at'] === undefined) === (values.none !== true)) {
    throw new UsageError('Give either --expires-at ISO or --none.');
  }
  return expiryOf(values['expires-at']);
}

const when = (date: Date | null) => date?.toISOString() ?? 'never';

/** Tokens as a table with column headers, as `token list` prints it. */
function tokenTable(tokens: { token: ApiToken; boards: ScopeJson }[]): string {
  const rows = [
    ['ID', 'PREFIX', 'PERMISSION', 'STATUS', 'EXPIRES', 'LAST USED', 'BOARDS', 'NAME'],
    ...tokens.map(({ token: t, boards }) => [
      t.id,
      `${t.prefix}…`,
      t.permission,
      t.status,
      when(t.expiresAt),
      when(t.lastUsedAt),
      scopeText(boards),
      t.name,
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column])))
        .join('  '),
    )
    .join('\n');
}

/**
 * Refuses an option given twice: parseArgs keeps the last, so `--permission read-only
 * --permission full-access` (a wrapper's default, then a caller's addition) made a full-access
 * token without a word.
 */
function onceEach(tokens: ReturnType<typeof parseArgs>['tokens']): void {
  const seen = new Set<string>();
  for (const token of tokens ?? []) {
    if (token.kind !== 'option') {
      continue;
    }
    if (seen.has(token.name)) {
      throw new UsageError(`--${token.name} may be given once.`);
    }
    seen.add(token.name);
  }
}

async function execute(services: Services, args: string[]): Promise<Result> {
  const { values, positionals, tokens } = parseArgs({
    args,
    allowPositionals: true,
    tokens: true,
    options: {
      name: { type: 'string' },
      org: { type: 'string' },
      permission: { type: 'string' },
      'expires-at': { type: 'string' },
      none: { type: 'boolean' },
      'grace-minutes': { type: 'string' },
      boards: { type: 'string' },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  onceEach(tokens);
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
          token: tokenJson({ token: created.token, boards: null }),
          secret: created.secret,
        },
        text: `Created organization ${created.organization.id} ("${created.organization.name}") with a full-access token.\nSecret (shown only now): ${created.secret}`,
      };
    }
    case 'org list': {
      const organizations = await services.organizations.listAll();
      return {
        json: { organizations: organizations.map(organizationJson) },
        text: [`${'ID'.padEnd(36)}  NAME`, ...organizations.map((o) => `${o.id}  ${o.name}`)].join(
          '\n',
        ),
      };
    }
    case 'board list': {
      const org = await organizationOrOnly(services, values.org);
      const boards = await services.boards.listAll(org.id);
      return {
        json: { boards: boards.map((board) => ({ id: board.id, name: board.name })) },
        text: [`${'ID'.padEnd(36)}  NAME`, ...boards.map((b) => `${b.id}  ${b.name}`)].join('\n'),
      };
    }
    case 'token create': {
      const org = await organizationOrOnly(services, values.org);
      const permission = permissionOf(values.permission);
      const expiresAt = expiryOf(values['expires-at']);
      const actor = systemActor(org, 'cli.token.create');
      const { token, secret } = await services.tokens.create(actor, {
        name: required(values.name, '--name'),
        permission,
        expiresAt,
        boardIds: boardIdsOf(values.boards),
      });
      const [shown] = await described(services, actor, [token]);
      return {
        json: { organization: organizationJson(org), token: tokenJson(shown), secret },
        text: `Created ${token.permission} token ${token.id} ("${token.name}") for boards: ${scopeText(shown.boards)}.\nSecret (shown only now): ${secret}`,
      };
    }
    case 'token list': {
      const org = await organizationOrOnly(services, values.org);
      const tokens = await described(
        services,
        systemActor(org, 'cli.token.list'),
        await services.tokens.listAll(org.id),
      );
      return {
        json: { tokens: tokens.map(tokenJson) },
        text: tokenTable(tokens),
      };
    }
    case 'token deactivate':
    case 'token activate':
    case 'token set-permission':
    case 'token set-expiry':
    case 'token set-boards': {
      const { actor, id } = await tokenAction(services, positionals[2], command);
      const token =
        command === 'token deactivate'
          ? await services.tokens.deactivate(actor, id)
          : command === 'token activate'
            ? await services.tokens.activate(actor, id)
            : command === 'token set-permission'
              ? await services.tokens.update(actor, id, {
                  permission: permissionOf(values.permission),
                })
              : command === 'token set-expiry'
                ? await services.tokens.update(actor, id, { expiresAt: expiryFlag(values) })
                : await services.tokens.update(actor, id, { boardIds: scopeFlag(values) });
      const shown = await described(services, actor, [token]);
      return { json: { token: tokenJson(shown[0]) }, text: tokenTable(shown) };
    }
    case 'token rotate': {
      const { actor, id } = await tokenAction(services, positionals[2], command);
      const grace = values['grace-minutes'];
      if (grace !== undefined && !/^\d+$/.test(grace)) {
        throw new UsageError('--grace-minutes must be a whole number from 0 to 1440.');
      }
      const { token, secret } = await services.tokens.rotate(
        actor,
        id,
        grace === undefined ? 0 : Number(grace),
      );
      const [shown] = await described(services, actor, [token]);
      return {
        json: { token: tokenJson(shown), secret },
        text: `Rotated token ${token.id} ("${token.name}").\nSecret (shown only now): ${secret}`,
      };
    }
    case 'token revoke': {
      const id = required(positionals[2], 'the token id');
      const token = await services.tokens.findAnywhere(id);
      if (!token) {
        throw notFound('No token with this id; `statusgraph token list` shows them.');
      }
      const actor = systemActor(
        await organization(services, token.organizationId),
        'cli.token.revoke',
      );
      const revoked = await services.tokens.revoke(actor, id);
      const [shown] = await described(services, actor, [revoked]);
      return {
        json: { token: tokenJson(shown) },
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
        error.message + (error instanceof UsageError ? `\n${usageFor(argv)}` : ''),
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
      return fail(`${error.message}\n${usageFor(argv)}`, ErrorCode.BAD_USER_INPUT);
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
  let env: NodeJS.ProcessEnv;
  try {
    // Here only, never in runCli: tests run the command line in-process with their own settings.
    env = withEnvFile(process.env, process.cwd());
  } catch (error) {
    process.stderr.write(
      `statusgraph: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  }
  void runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env,
  }).then((code) => {
    process.exitCode = code;
  });
}
