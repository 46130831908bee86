# Varnish in front of Crossport: caches what Crossport allows, keyed as its
# Vary headers say (Origin, Accept-Encoding, Accept: Varnish does this by
# itself), and forgets by cache tag when Crossport purges (CDN=varnish).
#
# Needs Varnish 6 or later with the xkey module (Debian: varnish and
# varnish-modules). Set Crossport's CDN=varnish and
# CDN_PURGE_URLS=http://<this varnish>:<port>/ (one URL per Varnish).
# Start varnishd with -p http_gzip_support=off: Accept-Encoding then reaches
# Crossport as the browser sent it, so its .br/.gz siblings are served and
# cached per encoding (Vary), instead of Varnish re-compressing with gzip.
vcl 4.1;

import xkey;

# The Crossport origin (or its load balancer).
backend crossport {
    .host = "127.0.0.1";
    .port = "8080";
}

# The addresses Crossport's purges come from: the origin hosts. Anyone else
# asking to purge is refused, so outsiders cannot empty the cache.
acl crossport_purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ crossport_purgers) {
            return (synth(403, "Forbidden"));
        }
        # Crossport sends the tags space-separated in xkey-purge (several
        # requests when the list is long). Hard purge: a changed CORS policy
        # must not be served, not even while revalidating.
        if (req.http.xkey-purge) {
            set req.http.n-gone = xkey.purge(req.http.xkey-purge);
            return (synth(200, "Purged " + req.http.n-gone));
        }
        return (synth(400, "xkey-purge header required"));
    }
    # Everything else: Varnish's built-in rules (GET and HEAD are cached,
    # requests with Authorization or Cookie are passed to the origin).
}

sub vcl_deliver {
    # Tags are for this cache; browsers need not see them.
    unset resp.http.xkey;
}
