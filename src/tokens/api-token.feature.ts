import type { AuditLogService } from '../audit/audit-log.service';
import type { Feature } from '../core/feature';
import { resolver } from '../core/feature';
import { ApiToken } from './api-token.entity';
import { ApiTokenBoard } from './api-token-board.entity';
import { ApiTokenResolver } from './api-token.resolver';
import type { ApiTokenService } from './api-token.service';
import { ViewerResolver } from './viewer.resolver';

interface TokenServices {
  audit: AuditLogService;
  tokens: ApiTokenService;
}

/** API tokens and the viewer query; every audited change moves its token's lastWriteAt. */
export const tokensFeature: Feature<TokenServices> = {
  name: 'tokens',
  entities: [ApiToken, ApiTokenBoard],
  resolvers: [
    resolver(ViewerResolver, () => new ViewerResolver()),
    resolver(ApiTokenResolver, (s) => new ApiTokenResolver(s.tokens)),
  ],
  auditTargets: ['ApiToken'],
  connect({ audit, tokens }) {
    audit.onSucceeded((manager, actor, at) => tokens.stampLastWrite(manager, actor, at));
  },
};
