import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';

/**
 * The client's address: the socket's peer, or, behind a trusted proxy, the address that proxy
 * names in X-Forwarded-For (the nearest one not itself trusted), as Express's `req.ip` reads it
 * with `trust proxy`. Last-used and audit addresses and the per-address limits all come from here.
 */
export function clientAddress(
  trustedProxies: readonly string[] = [],
): (req: IncomingMessage) => string | null {
  const trust = proxyAddr.compile([...trustedProxies]);
  return (req) => (req.socket.remoteAddress === undefined ? null : proxyAddr(req, trust));
}
