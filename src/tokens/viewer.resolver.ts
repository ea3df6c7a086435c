import { Ctx, Field, ObjectType, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../core/context';
import { Organization } from '../organizations/organization.entity';
import { ApiToken } from './api-token.entity';
import { TokenPermission } from './token-permission';

@ObjectType({ description: 'The token making this request, and what it may do.' })
export class Viewer {
  @Field(() => ApiToken)
  token!: ApiToken;

  @Field(() => Organization)
  organization!: Organization;

  @Field(() => TokenPermission)
  permission!: TokenPermission;
}

/**
 * The request context as authentication builds it: core/ names the token and organization by the
 * few fields it needs, but they are the entities themselves (auth/authenticate.ts).
 */
export interface TokenContext extends RequestContext {
  token: ApiToken;
  organization: Organization;
}

@Resolver(() => Viewer)
export class ViewerResolver {
  @Query(() => Viewer, { description: 'Who is asking: handy to check a token and its permission.' })
  viewer(@Ctx() ctx: TokenContext): Viewer {
    return { token: ctx.token, organization: ctx.organization, permission: ctx.permission };
  }
}
