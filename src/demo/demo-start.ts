import { Organization } from '../organizations/organization.entity';
import { type DemoServices, seedDemo } from './demo-data';

/**
 * `--demo` at start: seeds the organization bootstrap just created or, on a database that already
 * had organizations, the oldest one, if it has no boards yet. Returns the one line to print.
 */
export async function seedDemoOnStart(
  services: DemoServices,
  bootstrapped: Organization | null,
): Promise<string> {
  const organization =
    bootstrapped ??
    (await services.db.reader.findOne(Organization, {
      where: {},
      order: { createdAt: 'ASC', id: 'ASC' },
    }));
  if (!organization) {
    return 'Demo data: there is no organization to fill; nothing was added.';
  }
  const summary = await seedDemo(services, organization);
  return summary.seeded
    ? `Demo data: ${summary.boards} boards, ${summary.monitors} monitors, ` +
        `${summary.statusEvents} status events, ${summary.incidents} incidents.`
    : `Demo data: organization "${organization.name}" already has data; nothing was added.`;
}
