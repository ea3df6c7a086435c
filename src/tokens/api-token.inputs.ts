import { Field, InputType, ObjectType } from 'type-graphql';
import { ID } from '../graphql/id.scalar';
import { ApiToken } from './api-token.entity';
import { Connection } from '../graphql/connection';
import { ApiTokenStatus, TokenPermission } from './token-permission';

@InputType({
  description: 'A new token. The permission has no default: the choice is always deliberate.',
})
export class CreateApiTokenInput implements Partial<ApiToken> {
  @Field({ description: '1–100 characters, e.g. the integration that will use it.' })
  name!: string;

  @Field(() => TokenPermission)
  permission!: TokenPermission;

  @Field(() => Date, {
    nullable: true,
    description: 'Must lie in the future; none means it never expires.',
  })
  expiresAt?: Date | null;

  @Field(() => [ID], {
    nullable: true,
    description:
      'Limits the token to these boards of the organization (at least one); omitted or null: every board.',
  })
  boardIds?: string[] | null;
}

@InputType({ description: 'Changes to a token; omitted fields stay as they are.' })
export class UpdateApiTokenInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => TokenPermission, {
    nullable: true,
    description: 'Takes effect on the token’s very next request.',
  })
  permission?: TokenPermission | null;

  @Field(() => Date, { nullable: true, description: 'A future time, or null to never expire.' })
  expiresAt?: Date | null;

  @Field(() => [ID], {
    nullable: true,
    description:
      'Limits the token to these boards instead (at least one); null: every board. Takes effect on its very next request.',
  })
  boardIds?: string[] | null;
}

@InputType({ description: 'Narrows apiTokens; every given field must match.' })
export class ApiTokenFilter {
  @Field(() => ApiTokenStatus, { nullable: true })
  status?: ApiTokenStatus | null;

  @Field(() => TokenPermission, { nullable: true })
  permission?: TokenPermission | null;

  @Field(() => Date, { nullable: true, description: 'Tokens that expire before this time.' })
  expiresBefore?: Date | null;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'true: only full-access tokens whose suggestedPermission is READ_ONLY (the ones to switch); false: every other token.',
  })
  suggestedReadOnly?: boolean | null;
}

@ObjectType({
  description: 'A token with its secret, returned once by createApiToken and rotateApiToken.',
})
export class CreatedApiToken {
  @Field(() => ApiToken)
  token!: ApiToken;

  @Field({ description: 'Shown only now; store it safely. Only its SHA-256 hash is kept.' })
  secret!: string;
}

@ObjectType({ description: 'A page of API tokens, oldest first (by createdAt, then id).' })
export class ApiTokenConnection extends Connection(ApiToken) {}

export const GRACE_PERIOD = { min: 0, max: 1440 } as const;
