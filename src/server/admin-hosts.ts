import type { Config } from '../config/config'

/**
 * The Host check of the admin side, against DNS rebinding: a page on
 * `evil.example` whose name is re-pointed at 127.0.0.1 reaches the admin
 * listener from the operator's own browser, but its requests still say
 * `Host: evil.example`. Pure: no sockets here.
 */

// The names an operator types for a listener on this machine.
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1']
// Bind-all addresses name no host a client could address.
const BIND_ALL = new Set(['0.0.0.0', '::'])

// RFC 9110 §7.2: Host = uri-host [ ":" port ], port = *DIGIT.
const HOST_HEADER = /^(?:\[([0-9a-f:.]+)\]|([^:[\]/@\s]+))(?::[0-9]*)?$/i

/** Lower-case, IPv6 without brackets, without the trailing dot of a fully qualified name. */
const canonicalName = (name: string) => name.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '')

/**
 * The host names the admin side answers, or undefined when it answers any
 * Host: ADMIN_ALLOWED_HOSTS=*, or ADMIN_ON_MAIN without ADMIN_ALLOWED_HOSTS
 * (the main listener serves assets under whatever names the CDN uses, which
 * only the operator knows).
 */
export function adminHostAllowList(config: Pick<Config, 'adminHost' | 'adminOnMain' | 'adminAllowedHosts'>): ReadonlySet<string> | undefined {
  const extra = config.adminAllowedHosts
  if (extra?.includes('*') === true) return undefined
  if (config.adminOnMain && extra === undefined) return undefined
  const names = new Set([...LOOPBACK_NAMES, ...(extra ?? []).map(canonicalName)])
  const bound = canonicalName(config.adminHost)
  if (!BIND_ALL.has(bound)) names.add(bound)
  return names
}

/** The host name a Host header names (any port), canonical as in the allow-list; undefined when malformed. */
export function hostNameOf(host: string): string | undefined {
  const match = HOST_HEADER.exec(host)
  if (match === null) return undefined
  return canonicalName(match[1] ?? match[2] ?? '')
}

/** Whether a request with this Host header may reach the admin side. A missing Host never may. */
export function isAllowedHost(host: string | undefined, allowList: ReadonlySet<string> | undefined): boolean {
  if (allowList === undefined) return true
  const name = host === undefined ? undefined : hostNameOf(host)
  return name !== undefined && allowList.has(name)
}
