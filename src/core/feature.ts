/** A class type-graphql builds part of the schema from. */
export type ResolverClass = new (...args: never[]) => object;

/** A class TypeORM maps to a table. */
export type EntityClass = new (...args: never[]) => object;

/** A resolver class and how to build its instance from the services it needs. */
export interface ResolverRegistration<S> {
  type: ResolverClass;
  build(services: S): object;
}

/**
 * Everything the composition root must know of a feature, declared in one file beside it
 * (`<name>.feature.ts`): app.ts lists the features once, and the database, the schema and the
 * audit log take what they need from that list. `S` is the part of the services it uses.
 */
export interface Feature<S> {
  name: string;
  /** The tables it owns. */
  entities: EntityClass[];
  resolvers: ResolverRegistration<S>[];
  /** Type names an audit event of one of its mutations may target (found in the field's name). */
  auditTargets: string[];
  /** Registers its hooks on the features below it (a cascade, a stamp); runs once at start. */
  connect?(services: S): void;
}

/** The resolver class with its builder, typed by the class's own constructor. */
export function resolver<S, R extends ResolverClass>(
  type: R,
  build: (services: S) => InstanceType<R>,
): ResolverRegistration<S> {
  return { type, build };
}
