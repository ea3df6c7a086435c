import { connect, type Socket } from 'node:net';
import { Incident } from '../../src/incidents/incident.entity';
import { metricSamples } from '../helpers/metrics';
import { insertStatusFixture } from '../helpers/status-fixture';
import { TestApp } from '../helpers/test-app';
import { until } from '../helpers/wait';

/**
 * A token runs at most two exports at once (API.md section 12) until their responses have left
 * the server, not only until their last row was handed to Node: a reader that stalls on a
 * one-page export (here 1000 rows of 10,000 characters, far more than the sockets buffer) keeps
 * its slot while the page waits in the server's memory.
 */
describe('export slots', () => {
  let app: TestApp;
  const sockets: Socket[] = [];
  beforeEach(async () => {
    app = await TestApp.start();
    await insertStatusFixture(app, {
      boards: 1,
      monitorsPerBoard: 1,
      eventsPerMonitor: 0,
      incidents: 1000,
      updatesPerIncident: 0,
    });
    await app.services.db.write((manager) =>
      manager
        .createQueryBuilder()
        .update(Incident)
        .set({ details: 'x'.repeat(10_000) })
        .execute(),
    );
  });
  afterEach(async () => {
    sockets.splice(0).forEach((socket) => socket.destroy());
    await app.close();
  });

  /** An export whose client sends the request and then never reads. */
  function stalledExport(): void {
    const { hostname, port } = new URL(app.url);
    const socket = connect(Number(port), hostname);
    sockets.push(socket);
    socket.write(
      `GET /export/incidents.ndjson HTTP/1.1\r\nHost: ${hostname}\r\n` +
        `Authorization: Bearer ${app.identities.full.secret}\r\n\r\n`,
    );
    socket.pause();
  }

  const completed = async () =>
    (await metricSamples(app.url, 'statusgraph_exports_total')).get(
      '{list="incidents",format="ndjson",outcome="complete"}',
    ) ?? 0;

  const third = () =>
    fetch(`${app.url}/export/monitors.csv`, {
      headers: { authorization: `Bearer ${app.identities.full.secret}` },
    });

  it('keeps the slot of an export whose reader stalls after its last page', async () => {
    stalledExport();
    stalledExport();
    // Both have read their one page and ended their response: the rows wait to be sent.
    await until(async () => (await completed()) === 2, 'both exports to write their last page');
    const refused = await third();
    expect(refused.status).toBe(429);
    expect(
      ((await refused.json()) as { errors: { extensions: { code: string } }[] }).errors[0]
        .extensions.code,
    ).toBe('RATE_LIMITED');

    // The readers give up: their slots are given back.
    sockets.splice(0).forEach((socket) => socket.destroy());
    await until(
      async () => (await third().then((r) => r.text().then(() => r.status))) === 200,
      'a slot to be free again',
    );
  });
});
