// PLACEHOLDER (replaced by the admin API helper): answers 501 to everything.
import { createServer, type Server } from 'node:http'
import type { AppContext } from '../app-context'

export function createAdminServer(_context: AppContext): Server {
  return createServer((_req, res) => {
    res.statusCode = 501
    res.end()
  })
}
