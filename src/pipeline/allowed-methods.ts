/** The methods the public listener answers; every 405 lists them (RFC 9110 §15.5.6). */
export const ALLOWED_METHODS = 'GET, HEAD, OPTIONS'
