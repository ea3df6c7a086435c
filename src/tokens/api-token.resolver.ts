import { Arg, Args, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ID } from '../graphql/id.scalar';
import type { RequestContext } from '../core/context';
import { PageArgsType } from '../graphql/page-args';
import type { Page } from '../db/pagination';
import { ApiToken } from './api-token.entity';
import {
  ApiTokenConnection,
  ApiTokenFilter,
  CreateApiTokenInput,
  CreatedApiToken,
  UpdateApiTokenInput,
} from './api-token.inputs';
import type { ApiTokenService, CreatedToken } from './api-token.service';
import { ApiTokenStatus, TokenPermission } from './token-permission';

@Resolver(() => ApiToken)
export class ApiTokenResolver {
  constructor(private readonly service: ApiTokenService) {}

  // The entity's getters read the system time; the API's status and suggestion read the
  // services' clock, as authentication and the apiTokens filters do, so that they all agree.
  @FieldResolver(() => ApiTokenStatus)
  status(@Root() token: ApiToken): ApiTokenStatus {
    return this.service.statusOf(token);
  }

  @FieldResolver(() => TokenPermission, {
    description:
      'READ_ONLY for a FULL_ACCESS token older than 30 days that made no mutation in the last 30 days; otherwise its own permission.',
  })
  suggestedPermission(@Root() token: ApiToken): TokenPermission {
    return this.service.suggestedPermissionOf(token);
  }

  @Query(() => ApiTokenConnection, { description: 'The organization’s tokens, oldest first.' })
  apiTokens(
    @Arg('filter', () => ApiTokenFilter, { nullable: true }) filter: ApiTokenFilter | undefined,
    @Args(() => PageArgsType) page: PageArgsType,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<ApiToken>> {
    return this.service.list(ctx, filter, page);
  }

  @Query(() => ApiToken, { nullable: true })
  apiToken(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<ApiToken | null> {
    return this.service.get(ctx, id);
  }

  @Mutation(() => CreatedApiToken, {
    description: 'The secret is in the response once, never again.',
  })
  createApiToken(
    @Arg('input', () => CreateApiTokenInput) input: CreateApiTokenInput,
    @Ctx() ctx: RequestContext,
  ): Promise<CreatedToken> {
    return this.service.create(ctx, input);
  }

  @Mutation(() => ApiToken)
  updateApiToken(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateApiTokenInput) input: UpdateApiTokenInput,
    @Ctx() ctx: RequestContext,
  ): Promise<ApiToken> {
    return this.service.update(ctx, id, input);
  }

  @Mutation(() => ApiToken, { description: 'Stops the token working until activateApiToken.' })
  deactivateApiToken(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: RequestContext,
  ): Promise<ApiToken> {
    return this.service.deactivate(ctx, id);
  }

  @Mutation(() => ApiToken)
  activateApiToken(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<ApiToken> {
    return this.service.activate(ctx, id);
  }

  @Mutation(() => ApiToken, { description: 'Permanent: a revoked token never works again.' })
  revokeApiToken(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<ApiToken> {
    return this.service.revoke(ctx, id);
  }

  @Mutation(() => CreatedApiToken, {
    description:
      'Same token and settings, new secret. The old secret stops at once, or after gracePeriodMinutes (0–1440).',
  })
  rotateApiToken(
    @Arg('id', () => ID) id: string,
    @Arg('gracePeriodMinutes', () => Int, { nullable: true, defaultValue: 0 })
    gracePeriodMinutes: number,
    @Ctx() ctx: RequestContext,
  ): Promise<CreatedToken> {
    return this.service.rotate(ctx, id, gracePeriodMinutes);
  }
}
