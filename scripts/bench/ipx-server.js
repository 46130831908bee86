#!/usr/bin/env node
// ipx (the image server nuxt/image uses, on sharp) over a folder, for
// `npm run bench` to compare against: its own Node listener on a loopback port.
//   node scripts/bench/ipx-server.js <folder> <port>   → GET /w_640&f_webp&q_75/<path>
// Prints "listening" once it accepts requests. A devDependency: only the benchmark needs it.
'use strict'
const { createServer } = require('node:http')
const { createIPX, createIPXNodeServer, ipxFSStorage } = require('ipx')

const [dir, port] = process.argv.slice(2)
const ipx = createIPX({ storage: ipxFSStorage({ dir }) })
createServer(createIPXNodeServer(ipx)).listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'))
process.on('SIGTERM', () => process.exit(0))
