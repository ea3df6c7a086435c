import { GraphQLID, GraphQLScalarType } from 'graphql';

/**
 * `ID`, as graphql-js defines it, with one difference: U+0000 becomes U+FFFD on the way in.
 * PostgreSQL cannot hold U+0000 in text, so a client's id with it would surface as a database
 * error; no id ever contains either character, so the id stays unknown, as API.md requires of
 * any string that is not an id: null from a query, NOT_FOUND from a mutation.
 */
export const ID = new GraphQLScalarType<string, string>({
  name: 'ID',
  description: GraphQLID.description,
  serialize: (value) => GraphQLID.serialize(value) as string,
  parseValue: (value) => storable(GraphQLID.parseValue(value) as string),
  parseLiteral: (ast, variables) => storable(GraphQLID.parseLiteral(ast, variables) as string),
});

function storable(id: string): string {
  return id.includes('\u0000') ? id.replaceAll('\u0000', '\uFFFD') : id;
}
