import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../core/context';

export const TOKEN_EXPIRATION_HEADER = 'statusgraph-token-expiration';

/**
 * `Statusgraph-Token-Expiration: <ISO time>` on every response to a request whose token has an
 * expiry (API.md section 2; GitHub sends `github-authentication-token-expiration`), so an
 * integration can warn before it breaks. A refused token (401) never gets this far.
 */
export function tokenExpirationHeader(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          const expiresAt = contextValue.token?.expiresAt;
          if (expiresAt) {
            response.http.headers.set(TOKEN_EXPIRATION_HEADER, expiresAt.toISOString());
          }
        },
      };
    },
  };
}
