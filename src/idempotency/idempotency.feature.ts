import type { Feature } from '../core/feature';
import { IdempotencyKey } from './idempotency-key.entity';

/** Idempotency keys: a table and a plugin (the server installs it), no resolver. */
export const idempotencyFeature: Feature<object> = {
  name: 'idempotency',
  entities: [IdempotencyKey],
  resolvers: [],
  auditTargets: [],
};
