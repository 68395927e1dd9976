-- The SQL of one ticketsPage request as helpdesk sends it (the token, the
-- newest 50 tickets the contact may see, then one query per edge), for
-- pgbench: compare.sh sets contact, token, org, requester and agent from
-- the load command's own data.
SELECT "contacts"."id", "contacts"."created_at", "contacts"."updated_at", "contacts"."name", "contacts"."email", "contacts"."phone", "contacts"."role", "contacts"."types", "contacts"."locale", "contacts"."active", "contacts"."organization_id" FROM "contacts" WHERE ("contacts"."id" = :contact AND "contacts"."active") AND EXISTS (SELECT "api_tokens"."contact_id" FROM "api_tokens" WHERE ("contacts"."id" = "api_tokens"."contact_id" AND "api_tokens"."id" = :token) AND "api_tokens"."revoked_at" IS NULL) LIMIT 2;
SELECT "tickets"."id", "tickets"."status", "tickets"."priority", "tickets"."created_at", "tickets"."organization_id", "tickets"."requester_id", "tickets"."assignee_id" FROM "tickets" WHERE "tickets"."organization_id" IN (:org) ORDER BY "tickets"."created_at" DESC, "tickets"."id" DESC LIMIT 51;
SELECT "organizations"."id", "organizations"."name" FROM "organizations" WHERE "organizations"."id" IN (:org) AND "organizations"."id" IN (:org);
SELECT "contacts"."id", "contacts"."name" FROM "contacts" WHERE "contacts"."id" IN (:requester) AND "contacts"."organization_id" IN (:org);
SELECT "agents"."id", "agents"."name" FROM "agents" WHERE "agents"."id" IN (:agent);
