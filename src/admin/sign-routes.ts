import type Router from '@koa/router'
import type { AdminContext } from './context'
import { isFolderPath, parseSafePath } from '../http/safe-path'
import { CrossportError, isCrossportError, validationFailed, type FieldProblem } from '../http/errors'
import { parseImageParams, wantsDerivative } from '../images/params'
import { encodeRfc3986, SIGNATURE_PARAMS, signQuery } from '../signing/url-signature'
import { requireScope } from './auth'
import { readJsonObject } from './body'
import { describeProblems, parseInput } from './schemas/parse'
import { signRequestSchema } from './schemas/requests'
import type { Answer, SignedUrl } from './schemas/api-types'

export const SIGN_ROUTE = '/sign'

/**
 * `POST /sign`: mints a signed URL with the first configured key.
 * Refuses (422) what the public listener would refuse anyway, so a backend
 * never hands out a URL that cannot work.
 */
export function registerSignRoutes(router: Router, context: AdminContext): void {
  const { config } = context
  router.post(SIGN_ROUTE, requireScope('sign'), async (ctx) => {
    const input = parseInput(signRequestSchema, await readJsonObject(ctx, config.adminBodyLimitBytes))
    const keyring = config.urlSigningKeys
    if (keyring === undefined) throw new CrossportError('NOT_IMPLEMENTED', 'URL signing is not configured: set URL_SIGNING_KEYS')
    const safe = parseSafePath(input.path.split(/[?#]/, 1)[0] ?? input.path)
    if (!safe.ok || isFolderPath(safe.path) || input.path.includes('?') || input.path.includes('#')) {
      const message = !safe.ok ? safe.reason : 'must be the path of an asset, without query or fragment (pass parameters in query)'
      throw invalid([{ field: 'path', message }])
    }
    const params = Object.entries(input.query)
    const reserved = params.filter(([name]) => SIGNATURE_PARAMS.includes(name))
    if (reserved.length > 0) throw invalid(reserved.map(([name]) => ({ field: `query.${name}`, message: 'is a parameter of the signature itself' })))
    const search = new URLSearchParams(params)
    if (wantsDerivative(search, safe.path)) {
      try {
        parseImageParams(search, { widths: config.imageWidths, qualities: config.imageQualities })
      } catch (error) {
        if (!isCrossportError(error)) throw error
        throw invalid((error.fields ?? [{ field: '', message: error.message }]).map((f) => ({ field: `query.${f.field}`, message: f.message })))
      }
    }
    const expiresAtSeconds = Math.floor(Date.now() / 1000) + input.expiresInSeconds
    const signed = signQuery(keyring, safe.path, params, expiresAtSeconds)
    ctx.body = {
      url: `${safe.path.split('/').map(encodeRfc3986).join('/')}?${signed.query}`,
      expiresAt: new Date(expiresAtSeconds * 1000).toISOString(),
    } satisfies Answer<SignedUrl>
  })
}

function invalid(problems: FieldProblem[]): CrossportError {
  return validationFailed(describeProblems(problems), problems)
}
