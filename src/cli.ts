#!/usr/bin/env node
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { GraphQLError } from 'graphql';
import { closeServices, openServices, type Services } from './app';
import { ConfigError, loadConfig } from './core/config';
import { withEnvFile } from './core/env-file';
import { createLogger } from './core/logger';
import type { Organization } from './organizations/organization.entity';
import { systemActor } from './organizations/organization.service';
import type { ApiToken } from './tokens/api-token.entity';
import { TokenPermission } from './tokens/token-permission';

const USAGE = `Usage:
  statusgraph org create --name NAME [--json]
  statusgraph org list [--json]
  statusgraph token create [--org ID] --name NAME --permission full-access|read-only [--expires-at ISO] [--json]
  statusgraph token list [--org ID] [--json]
  statusgraph token revoke ID [--json]

--org may be left out when the database holds one organization.
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

/** A token as the API shows it (field names as in the schema); the hash never. */
function tokenJson(token: ApiToken) {
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

async function organization(services: Services, id: string): Promise<Organization> {
  const found = await services.organizations.get(id);
  if (!found) {
    throw new UsageError('No organization with this id; `statusgraph org create` makes one.');
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

async function execute(services: Services, args: string[]): Promise<Result> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      org: { type: 'string' },
      permission: { type: 'string' },
      'expires-at': { type: 'string' },
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
          token: tokenJson(created.token),
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
    case 'token create': {
      const org = await organizationOrOnly(services, values.org);
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
      });
      return {
        json: { organization: organizationJson(org), token: tokenJson(token), secret },
        text: `Created ${token.permission} token ${token.id} ("${token.name}").\nSecret (shown only now): ${secret}`,
      };
    }
    case 'token list': {
      const org = await organizationOrOnly(services, values.org);
      const tokens = await services.tokens.listAll(org.id);
      return {
        json: { tokens: tokens.map(tokenJson) },
        text: tokens
          .map(
            (t) =>
              `${t.id}  ${t.prefix}…  ${t.permission.padEnd(11)}  ${t.status.padEnd(8)}  ${t.name}`,
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
        json: { token: tokenJson(revoked) },
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
        'BAD_USER_INPUT',
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
      return fail(`${error.message}\n${USAGE}`, 'BAD_USER_INPUT');
    }
    return fail(
      `could not run the command: ${error instanceof Error ? error.message : String(error)}`,
      'INTERNAL_SERVER_ERROR',
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
