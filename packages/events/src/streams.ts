/** Physical Redis key of a logical stream; every service of one deployment uses the same prefix. */
export function streamKey(prefix: string, stream: string): string {
  return `${prefix}stream:${stream}`;
}

/** Where messages that failed `maxDeliveries` times are parked for a human to look at. */
export function deadLetterKey(prefix: string, stream: string): string {
  return `${streamKey(prefix, stream)}:dlq`;
}
