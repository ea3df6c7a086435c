import type { Feature } from '../core/feature';
import { Organization } from './organization.entity';

/** Organizations: made by the command line and the first start; no resolver of their own. */
export const organizationsFeature: Feature<object> = {
  name: 'organizations',
  entities: [Organization],
  resolvers: [],
  auditTargets: ['Organization'],
};
