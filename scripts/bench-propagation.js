// How long a change made through one Crossport host takes to be in force on
// another sharing its PostgreSQL: two server processes on a private
// PostgreSQL (scripts/start-postgres.js), N origin changes through A, each
// timed from A's answer until B's public side answers with it. Prints
// p50/p99/max. Usage: node scripts/bench-propagation.js [--changes 200]
'use strict'
const { startPostgres } = require('./start-postgres')
const { numberOption } = require('./lib/spawn-crossport')
const { measurePropagation, percentile, startHostPair } = require('./lib/propagation')

async function main() {
  const count = numberOption('changes', 'BENCH_CHANGES', 200)
  const pg = await startPostgres()
  let pair
  try {
    pair = await startHostPair({ databaseUrl: pg.url, assets: { 'p/app.css': 'body{}', 'warm/app.css': 'body{}' } })
    // A few changes first: connections warm, code paths compiled.
    await measurePropagation({ ...pair, folder: '/warm/', file: 'app.css', count: 5 })
    const samples = await measurePropagation({ ...pair, folder: '/p/', file: 'app.css', count })
    const ms = (value) => `${value.toFixed(1)} ms`
    console.log(`propagation between two hosts over ${count} changes: p50 ${ms(percentile(samples, 50))}, p99 ${ms(percentile(samples, 99))}, max ${ms(Math.max(...samples))}`)
  } finally {
    await pair?.stop()
    await pg.stop()
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
