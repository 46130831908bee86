-- A folder's Cache-Control for the CDN alone (CDN-Cache-Control, RFC 9213;
-- Surrogate-Control for Varnish and Fastly). NULL: the header is not sent, and
-- the CDN follows Cache-Control as before.
ALTER TABLE folders ADD COLUMN cdn_cache_control TEXT;
