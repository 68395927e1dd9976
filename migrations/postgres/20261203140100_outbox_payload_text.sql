-- Modify "outbox_messages" table: the payload (JSON) becomes text, so that
-- every parameter travels as text. A message not delivered yet keeps its
-- JSON: from bytea its bytes are UTF-8 text; a database of the additive
-- era arrives here already text, holding bytea's hex form ('\x7b22…'),
-- which the cast to bytea reads back. A plain cast would store the hex.
ALTER TABLE "outbox_messages" ALTER COLUMN "payload" TYPE text USING convert_from("payload"::bytea, 'UTF8');
