import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool } from 'pg';
import { Database as SqliteDatabase } from 'sqlite3';
import type { BenchServerOptions } from './bench-server';
import { hashSecret } from '../src/tokens/secret';

/**
 * The hot-path bench's floor: the same small queries answered with the same rows straight from
 * the driver, one statement each, in a process of its own on the same database. No GraphQL, no
 * authentication beyond the row, no budget: what any server must at least pay per request.
 * `{ viewer { permission } }` reads the token's permission by its secret's hash; anything else
 * is `board(id)` and reads the board's name. Speaks BenchServer's protocol (listening, stop).
 */
type Read = (sql: string, parameter: string) => Promise<Record<string, unknown> | undefined>;

function reader(database: BenchServerOptions['database']): { read: Read; close(): Promise<void> } {
  if (database.type === 'postgres') {
    const pool = new Pool({ connectionString: database.url, max: 10 });
    return {
      read: async (sql, parameter) =>
        (await pool.query({ name: sql, text: sql.replace('?', '$1'), values: [parameter] }))
          .rows[0],
      close: () => pool.end(),
    };
  }
  const db = new SqliteDatabase(database.path);
  return {
    read: (sql, parameter) =>
      new Promise((resolve, reject) =>
        db.get(sql, [parameter], (error, row) =>
          error ? reject(error) : resolve(row as Record<string, unknown> | undefined),
        ),
      ),
    close: () => new Promise((resolve) => db.close(() => resolve())),
  };
}

async function answer(read: Read, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
  }
  const { query, variables } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
    query: string;
    variables?: { id?: string };
  };
  let data: unknown;
  if (query.includes('viewer')) {
    const secret = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const row = await read(
      'SELECT permission FROM api_token WHERE secret_hash = ?',
      hashSecret(secret),
    );
    data = { viewer: { permission: row?.permission } };
  } else {
    const row = await read('SELECT name FROM board WHERE id = ?', variables?.id ?? '');
    data = { board: row ? { name: row.name } : null };
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ data }));
}

async function serve(options: BenchServerOptions): Promise<void> {
  const { read, close } = reader(options.database);
  const server = createServer((req, res) => {
    answer(read, req, res).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.on('message', async (request: { type: string }) => {
    if (request.type === 'stop') {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await close();
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
  const address = server.address();
  process.send?.({
    type: 'listening',
    port: typeof address === 'object' && address ? address.port : 0,
  });
}

serve(JSON.parse(process.argv[2] ?? '{}') as BenchServerOptions).catch((error: unknown) => {
  process.stderr.write(`floor server: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
