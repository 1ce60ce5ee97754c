/**
 * The AMQP headers Libretto sets on messages it moves between queues. Read them on a
 * dead-lettered message to see why it died.
 */
export const HEADERS = Object.freeze({
  /** The try the message is on (2 on the first retry). */
  attempt: 'x-libretto-attempt',
  /** Why the last try failed (the handler's error message). */
  error: 'x-libretto-error',
  /** Why the message was dead-lettered: malformed, invalid data, or the handler's last error. */
  deadReason: 'x-libretto-dead-reason',
  /** Tries made before it was dead-lettered. */
  attempts: 'x-libretto-attempts',
  /** The queue it was consumed from (with the prefix). */
  queue: 'x-libretto-queue',
  /** When it was dead-lettered (ISO 8601). */
  deadAt: 'x-libretto-dead-at',
});
