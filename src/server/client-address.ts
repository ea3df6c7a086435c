import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import proxyAddr from 'proxy-addr';

/**
 * The client's address: the socket's peer, or, behind a trusted proxy, the address that proxy
 * names in X-Forwarded-For (the nearest one not itself trusted), as Express's `req.ip` reads it
 * with `trust proxy`. Last-used and audit addresses and the per-address limits all come from here.
 * An entry that is no IP address (`<script>`, `unknown`, `host:port`) names no client: the
 * nearest hop that is one, the trusted proxy itself, stands for it, so neither text a client put
 * in the header nor a shared "unknown" reaches the token's last use or the per-address limits.
 */
export function clientAddress(
  trustedProxies: readonly string[] = [],
): (req: IncomingMessage) => string | null {
  const trust = proxyAddr.compile([...trustedProxies]);
  return (req) => {
    if (req.socket.remoteAddress === undefined) {
      return null;
    }
    // From the socket's peer outwards, up to the first hop not trusted.
    const hops = proxyAddr.all(req, trust);
    for (let i = hops.length - 1; i >= 0; i--) {
      if (isIP(hops[i]) !== 0) {
        return hops[i];
      }
    }
    return req.socket.remoteAddress;
  };
}
