export {
  EXPIRES_PARAM,
  KEY_ID_PARAM,
  SIGNATURE_PARAM,
  SIGNATURE_PARAMS,
  canonicalString,
  encodeRfc3986,
  parseSigningKeys,
  signQuery,
  verifySignature,
  withoutSignatureParams,
  type SignatureVerdict,
  type SigningKey,
  type SigningKeyring,
  type VerdictReason,
} from './url-signature'
export { capCacheControl } from './cache-cap'
