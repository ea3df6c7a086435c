import { seedDemo } from '../../src/demo/demo-data';
import { TestApp } from '../helpers/test-app';

interface IncidentView {
  name: string;
  phase: string;
  startedAt: string;
  willStartAt: string | null;
  willEndAt: string | null;
}

const SCHEDULED = `query { incidents(first: 1000, filter: {phase: SCHEDULED}) {
  nodes { name phase startedAt willStartAt willEndAt } } }`;

// Issue 14 item 16: the demo's upcoming maintenance has not started: its startedAt is its window's
// start (willStartAt), not the time it was announced, so lists by startedAt do not show it as an
// incident that began in the past.
describe('the demo’s scheduled maintenance', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start();
  });
  afterAll(() => app.close());

  it('starts when its window starts, in the future', async () => {
    const seededAt = Date.now();
    await seedDemo(app.services, app.organization);
    const { incidents } = await app
      .asReadOnly()
      .data<{ incidents: { nodes: IncidentView[] } }>(SCHEDULED);
    expect(incidents.nodes.length).toBeGreaterThan(0);
    for (const incident of incidents.nodes) {
      expect(incident.willStartAt).not.toBeNull();
      expect(incident.startedAt).toBe(incident.willStartAt);
      expect(Date.parse(incident.startedAt)).toBeGreaterThan(seededAt);
    }
  });
});
