export { DEV_ADMIN, DEV_SERVICES, parseCli, parseDuration, parseWeights } from './cli-options.js';
export { LoadSetupError, runLoad } from './load-runner.js';
export {
  type Classifier,
  DEFAULT_MIX,
  EXPECTED_FINAL,
  FINAL_ORDER_STATUSES,
  JOURNEYS,
  type JourneyCounts,
  type JourneyName,
  type LoadOptions,
  LoadOptionsError,
  type LoadResult,
  type PlacedOrder,
  type ProgressSnapshot,
  SERVICE_NAMES,
  type ServiceName,
  type StepResponse,
  tolerateRetryAfter503,
} from './options.js';
export { type SettleOrdersOptions, settleOrders } from './orders.js';
export { parseThinkTime, type ThinkTime } from './random.js';
export { progressLine, summaryTable } from './report.js';
export type { ErrorSample, LoadTotals, Outcome, StatusKey, StepStats } from './stats.js';
