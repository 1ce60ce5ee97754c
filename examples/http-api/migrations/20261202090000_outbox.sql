-- The transactional outbox (outboxTableStatements() from libretto/messaging): the People API
-- adds a PersonCreated message here when a person is created and a broker is configured.

-- libretto:up
CREATE TABLE IF NOT EXISTS "libretto_outbox" (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id text NOT NULL,
  queue text NOT NULL,
  key text,
  type text,
  headers jsonb NOT NULL DEFAULT '{}'::jsonb,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  next_attempt_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS "libretto_outbox_pending" ON "libretto_outbox" (id) WHERE published_at IS NULL;

CREATE INDEX IF NOT EXISTS "libretto_outbox_pending_key" ON "libretto_outbox" (key, id) WHERE published_at IS NULL;

CREATE INDEX IF NOT EXISTS "libretto_outbox_published" ON "libretto_outbox" (published_at) WHERE published_at IS NOT NULL;

-- libretto:down
DROP TABLE "libretto_outbox";
