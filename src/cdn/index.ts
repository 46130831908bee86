/**
 * The CDN in front: which tags a response carries, what a change purges,
 * how the configured CDN is told, and the worker that delivers the outbox.
 */
export { assetChangeTags, folderChangeTags, responseTags } from './tags'
export { createCdnAdapter, PurgeDeliveryError, type CdnAdapter } from './adapters'
export { PurgeOutboxWorker, type OutboxWorkerOptions, type PurgeTelemetry } from './outbox-worker'
export { createChangePurges, NO_PURGES, type ChangePurges } from './change-purges'
