-- The inbox of the people worker's consumer (inboxTableStatements() from libretto/messaging)
-- and the table its handler writes: one welcome per person, whatever the redeliveries.

-- libretto:up
CREATE TABLE IF NOT EXISTS "libretto_inbox" (
  consumer text NOT NULL,
  message_id text NOT NULL,
  queue text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, message_id)
);

CREATE INDEX IF NOT EXISTS "libretto_inbox_received" ON "libretto_inbox" (consumer, received_at);

CREATE TABLE "welcome" (
  "person_id" uuid NOT NULL,
  "email" text NOT NULL,
  "message_id" text NOT NULL,
  "welcomed_at" timestamptz NOT NULL DEFAULT now()
);

-- libretto:down
DROP TABLE "welcome";

DROP TABLE "libretto_inbox";
