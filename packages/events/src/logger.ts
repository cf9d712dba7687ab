/** The subset of pino the package logs through; any pino logger fits. */
export interface EventsLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: EventsLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
