import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import proxyAddr from 'proxy-addr';

/**
 * The client's address: the socket's peer, or, behind a trusted proxy, the address that proxy
 * names in X-Forwarded-For (the nearest one not itself trusted), as Express's `req.ip` reads it
 * with `trust proxy`. Last-used and audit addresses and the per-address limits all come from here.
 * An entry with a port (`203.0.113.7:54321`, `[2001:db8::1]:443`, as some gateways write it) is
 * its address; one that is no IP address at all (`<script>`, `unknown`) names no client: the
 * nearest hop that is one, the trusted proxy itself, stands for it, so no text a client put in
 * the header reaches the token's last use or the per-address limits.
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
      const address = withoutPort(hops[i]);
      if (isIP(address) !== 0) {
        return address;
      }
    }
    return req.socket.remoteAddress;
  };
}

/** `a.b.c.d:port` → `a.b.c.d`, `[v6]:port` and `[v6]` → `v6`; anything else as it is. */
function withoutPort(entry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed) {
    return bracketed[1];
  }
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(entry);
  return v4 ? v4[1] : entry;
}
