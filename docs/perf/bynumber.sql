-- The SQL of one ticketByNumber request as helpdesk sends it (a known
-- token rechecked with its owner, then the ticket under the contact's
-- privacy), for pgbench: compare.sh sets contact, token, org, lo and hi
-- from the load command's own data.
\set t random(:lo, :hi)
SELECT "contacts"."id", "contacts"."created_at", "contacts"."updated_at", "contacts"."name", "contacts"."email", "contacts"."phone", "contacts"."role", "contacts"."types", "contacts"."locale", "contacts"."active", "contacts"."organization_id" FROM "contacts" WHERE ("contacts"."id" = :contact AND "contacts"."active") AND EXISTS (SELECT "api_tokens"."contact_id" FROM "api_tokens" WHERE ("contacts"."id" = "api_tokens"."contact_id" AND "api_tokens"."id" = :token) AND "api_tokens"."revoked_at" IS NULL) LIMIT 2;
SELECT "tickets"."id", "tickets"."status", "tickets"."priority", "tickets"."created_at" FROM "tickets" WHERE "tickets"."id" = :t AND "tickets"."organization_id" IN (:org) LIMIT 2;
