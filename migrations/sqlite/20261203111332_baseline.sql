-- Create "api_tokens" table
CREATE TABLE `api_tokens` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `digest` text NOT NULL, `partner` bool NOT NULL DEFAULT (false), `revoked_at` datetime NULL, `agent_id` integer NULL, `contact_id` integer NULL, CONSTRAINT `api_tokens_agents_tokens` FOREIGN KEY (`agent_id`) REFERENCES `agents` (`id`) ON DELETE SET NULL, CONSTRAINT `api_tokens_contacts_tokens` FOREIGN KEY (`contact_id`) REFERENCES `contacts` (`id`) ON DELETE SET NULL);
-- Create index "api_tokens_digest_key" to table: "api_tokens"
CREATE UNIQUE INDEX `api_tokens_digest_key` ON `api_tokens` (`digest`);
-- Create index "apitoken_revoked_at" to table: "api_tokens"
CREATE INDEX `apitoken_revoked_at` ON `api_tokens` (`revoked_at`);
-- Create "agents" table
CREATE TABLE `agents` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `email` text NOT NULL, `role` text NOT NULL DEFAULT ('AGENT'), `active` bool NOT NULL DEFAULT (true));
-- Set sequence for "agents" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("agents", 4294967296);
-- Create index "agents_email_key" to table: "agents"
CREATE UNIQUE INDEX `agents_email_key` ON `agents` (`email`);
-- Create index "agent_updated_at" to table: "agents"
CREATE INDEX `agent_updated_at` ON `agents` (`updated_at`);
-- Create "comments" table
CREATE TABLE `comments` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `body` text NOT NULL, `internal` bool NOT NULL DEFAULT (false), `message_id` text NULL, `author_contact_id` integer NULL, `author_agent_id` integer NULL, `ticket_id` integer NOT NULL, CONSTRAINT `comments_contacts_author_contact` FOREIGN KEY (`author_contact_id`) REFERENCES `contacts` (`id`) ON DELETE SET NULL, CONSTRAINT `comments_agents_author_agent` FOREIGN KEY (`author_agent_id`) REFERENCES `agents` (`id`) ON DELETE SET NULL, CONSTRAINT `comments_tickets_comments` FOREIGN KEY (`ticket_id`) REFERENCES `tickets` (`id`) ON DELETE NO ACTION);
-- Set sequence for "comments" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("comments", 8589934592);
-- Create index "comment_ticket_id_created_at" to table: "comments"
CREATE INDEX `comment_ticket_id_created_at` ON `comments` (`ticket_id`, `created_at`);
-- Create index "comment_message_id" to table: "comments"
CREATE UNIQUE INDEX `comment_message_id` ON `comments` (`message_id`);
-- Create "contacts" table
CREATE TABLE `contacts` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `email` text NOT NULL, `phone` text NULL, `role` text NOT NULL DEFAULT ('USER'), `types` json NOT NULL, `locale` text NOT NULL DEFAULT ('en'), `active` bool NOT NULL DEFAULT (true), `organization_id` integer NOT NULL, CONSTRAINT `contacts_organizations_contacts` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION);
-- Set sequence for "contacts" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("contacts", 12884901888);
-- Create index "contact_organization_id_role" to table: "contacts"
CREATE INDEX `contact_organization_id_role` ON `contacts` (`organization_id`, `role`);
-- Create index "contact_organization_id_email" to table: "contacts"
CREATE UNIQUE INDEX `contact_organization_id_email` ON `contacts` (`organization_id`, `email`);
-- Create index "contact_email" to table: "contacts"
CREATE INDEX `contact_email` ON `contacts` (`email`);
-- Create index "contact_updated_at" to table: "contacts"
CREATE INDEX `contact_updated_at` ON `contacts` (`updated_at`);
-- Create "escalation_tables" table
CREATE TABLE `escalation_tables` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `region` text NOT NULL, `levels` json NOT NULL);
-- Set sequence for "escalation_tables" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("escalation_tables", 17179869184);
-- Create index "escalation_tables_region_key" to table: "escalation_tables"
CREATE UNIQUE INDEX `escalation_tables_region_key` ON `escalation_tables` (`region`);
-- Create "notifications" table
CREATE TABLE `notifications` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `kind` text NOT NULL, `channel` text NOT NULL, `recipient` text NOT NULL, `status` text NOT NULL DEFAULT ('PENDING'), `attempts` integer NOT NULL DEFAULT (0), `last_error` text NULL, `sent_at` datetime NULL, `dedupe_key` text NOT NULL, `payload` text NULL, `next_attempt_at` datetime NULL, `event_id` integer NULL, `updated_at` datetime NOT NULL, `ticket_id` integer NOT NULL, CONSTRAINT `notifications_tickets_notifications` FOREIGN KEY (`ticket_id`) REFERENCES `tickets` (`id`) ON DELETE NO ACTION);
-- Set sequence for "notifications" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("notifications", 21474836480);
-- Create index "notifications_dedupe_key_key" to table: "notifications"
CREATE UNIQUE INDEX `notifications_dedupe_key_key` ON `notifications` (`dedupe_key`);
-- Create index "notification_ticket_id" to table: "notifications"
CREATE INDEX `notification_ticket_id` ON `notifications` (`ticket_id`);
-- Create index "notification_status_next_attempt_at" to table: "notifications"
CREATE INDEX `notification_status_next_attempt_at` ON `notifications` (`status`, `next_attempt_at`);
-- Create "organizations" table
CREATE TABLE `organizations` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `region` text NOT NULL, `timezone` text NOT NULL, `account_manager_id` integer NULL, `sla_policy_id` integer NULL, CONSTRAINT `organizations_agents_managed_organizations` FOREIGN KEY (`account_manager_id`) REFERENCES `agents` (`id`) ON DELETE SET NULL, CONSTRAINT `organizations_sla_policies_organizations` FOREIGN KEY (`sla_policy_id`) REFERENCES `sla_policies` (`id`) ON DELETE SET NULL);
-- Set sequence for "organizations" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("organizations", 25769803776);
-- Create index "organizations_name_key" to table: "organizations"
CREATE UNIQUE INDEX `organizations_name_key` ON `organizations` (`name`);
-- Create index "organization_account_manager_id" to table: "organizations"
CREATE INDEX `organization_account_manager_id` ON `organizations` (`account_manager_id`);
-- Create index "organization_region" to table: "organizations"
CREATE INDEX `organization_region` ON `organizations` (`region`);
-- Create "outbox_messages" table
CREATE TABLE `outbox_messages` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `ticket_id` integer NOT NULL, `payload` blob NOT NULL, `attempts` integer NOT NULL DEFAULT (0), `last_error` text NULL, `next_attempt_at` datetime NULL);
-- Set sequence for "outbox_messages" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("outbox_messages", 30064771072);
-- Create index "outboxmessage_ticket_id" to table: "outbox_messages"
CREATE INDEX `outboxmessage_ticket_id` ON `outbox_messages` (`ticket_id`);
-- Create "sla_policies" table
CREATE TABLE `sla_policies` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `timezone` text NOT NULL, `always_open` bool NOT NULL DEFAULT (false), `opening_hours` json NOT NULL, `holidays` json NOT NULL, `holiday_country` text NULL, `pause_on_third_party` bool NOT NULL DEFAULT (true), `targets` json NOT NULL, `warning_percent` integer NOT NULL DEFAULT (75), `reminder_seconds` integer NOT NULL DEFAULT (172800), `auto_close_seconds` integer NOT NULL DEFAULT (604800), `reopen_window_seconds` integer NOT NULL DEFAULT (604800), `version` integer NOT NULL DEFAULT (1), `is_default` bool NOT NULL DEFAULT (false));
-- Set sequence for "sla_policies" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("sla_policies", 34359738368);
-- Create "services" table
CREATE TABLE `services` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `sof_number` text NOT NULL, `service_id` text NOT NULL, `name` text NOT NULL, `organization_id` integer NOT NULL, CONSTRAINT `services_organizations_services` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION);
-- Set sequence for "services" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("services", 38654705664);
-- Create index "service_sof_number_service_id" to table: "services"
CREATE UNIQUE INDEX `service_sof_number_service_id` ON `services` (`sof_number`, `service_id`);
-- Create index "service_organization_id_sof_number" to table: "services"
CREATE INDEX `service_organization_id_sof_number` ON `services` (`organization_id`, `sof_number`);
-- Create "tickets" table
CREATE TABLE `tickets` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `subject` text NOT NULL, `description` text NOT NULL, `status` text NOT NULL DEFAULT ('NEW'), `priority` text NOT NULL, `priority_rank` integer NOT NULL, `category` text NOT NULL, `channel` text NOT NULL DEFAULT ('PORTAL'), `escalation_level` integer NOT NULL DEFAULT (0), `event_type` text NULL, `current_status` text NULL, `onset_at` datetime NULL, `logs` text NULL, `sof_number` text NULL, `idempotency_key` text NULL, `first_response_due_at` datetime NULL, `resolution_due_at` datetime NULL, `first_responded_at` datetime NULL, `resolved_at` datetime NULL, `closed_at` datetime NULL, `sla_paused` bool NOT NULL DEFAULT (false), `paused_at` datetime NULL, `paused_seconds` integer NOT NULL DEFAULT (0), `first_response_breached` bool NOT NULL DEFAULT (false), `resolution_breached` bool NOT NULL DEFAULT (false), `first_response_warned_at` datetime NULL, `resolution_warned_at` datetime NULL, `first_response_breached_at` datetime NULL, `resolution_breached_at` datetime NULL, `reminded_at` datetime NULL, `escalated_at` datetime NULL, `paused_intervals` json NULL, `sla_policy` json NULL, `assignee_id` integer NULL, `requester_id` integer NOT NULL, `organization_id` integer NOT NULL, `service_id` integer NULL, CONSTRAINT `tickets_agents_assigned_tickets` FOREIGN KEY (`assignee_id`) REFERENCES `agents` (`id`) ON DELETE SET NULL, CONSTRAINT `tickets_contacts_requested_tickets` FOREIGN KEY (`requester_id`) REFERENCES `contacts` (`id`) ON DELETE NO ACTION, CONSTRAINT `tickets_organizations_tickets` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `tickets_services_tickets` FOREIGN KEY (`service_id`) REFERENCES `services` (`id`) ON DELETE SET NULL);
-- Set sequence for "tickets" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("tickets", 42949672960);
-- Create index "ticket_organization_id_created_at" to table: "tickets"
CREATE INDEX `ticket_organization_id_created_at` ON `tickets` (`organization_id`, `created_at`);
-- Create index "ticket_requester_id_created_at" to table: "tickets"
CREATE INDEX `ticket_requester_id_created_at` ON `tickets` (`requester_id`, `created_at`);
-- Create index "ticket_requester_id_idempotency_key" to table: "tickets"
CREATE UNIQUE INDEX `ticket_requester_id_idempotency_key` ON `tickets` (`requester_id`, `idempotency_key`);
-- Create index "ticket_assignee_id_status" to table: "tickets"
CREATE INDEX `ticket_assignee_id_status` ON `tickets` (`assignee_id`, `status`);
-- Create index "ticket_status_priority_rank" to table: "tickets"
CREATE INDEX `ticket_status_priority_rank` ON `tickets` (`status`, `priority_rank`);
-- Create index "ticket_created_at" to table: "tickets"
CREATE INDEX `ticket_created_at` ON `tickets` (`created_at`);
-- Create index "ticket_first_response_due_at" to table: "tickets"
CREATE INDEX `ticket_first_response_due_at` ON `tickets` (`first_response_due_at`);
-- Create index "ticket_resolution_due_at" to table: "tickets"
CREATE INDEX `ticket_resolution_due_at` ON `tickets` (`resolution_due_at`);
-- Create index "ticket_escalation_level" to table: "tickets"
CREATE INDEX `ticket_escalation_level` ON `tickets` (`escalation_level`);
-- Create index "ticket_first_response_breached" to table: "tickets"
CREATE INDEX `ticket_first_response_breached` ON `tickets` (`first_response_breached`);
-- Create index "ticket_resolution_breached" to table: "tickets"
CREATE INDEX `ticket_resolution_breached` ON `tickets` (`resolution_breached`);
-- Create "ticket_events" table
CREATE TABLE `ticket_events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `kind` text NOT NULL, `data` text NULL, `internal` bool NOT NULL DEFAULT (false), `status_after` text NOT NULL DEFAULT ('NEW'), `priority_after` text NOT NULL DEFAULT ('MEDIUM'), `actor` text NOT NULL DEFAULT ('system'), `ticket_id` integer NOT NULL, `actor_agent_id` integer NULL, `actor_contact_id` integer NULL, CONSTRAINT `ticket_events_tickets_events` FOREIGN KEY (`ticket_id`) REFERENCES `tickets` (`id`) ON DELETE NO ACTION, CONSTRAINT `ticket_events_agents_actor_agent` FOREIGN KEY (`actor_agent_id`) REFERENCES `agents` (`id`) ON DELETE SET NULL, CONSTRAINT `ticket_events_contacts_actor_contact` FOREIGN KEY (`actor_contact_id`) REFERENCES `contacts` (`id`) ON DELETE SET NULL);
-- Set sequence for "ticket_events" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("ticket_events", 47244640256);
-- Create index "ticketevent_ticket_id_created_at" to table: "ticket_events"
CREATE INDEX `ticketevent_ticket_id_created_at` ON `ticket_events` (`ticket_id`, `created_at`);
-- Create index "ticketevent_created_at" to table: "ticket_events"
CREATE INDEX `ticketevent_created_at` ON `ticket_events` (`created_at`);
-- Create "webhooks" table
CREATE TABLE `webhooks` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `url` text NOT NULL, `secret` text NOT NULL, `kinds` json NULL, `active` bool NOT NULL DEFAULT (true), `organization_id` integer NOT NULL, CONSTRAINT `webhooks_organizations_webhooks` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION);
-- Set sequence for "webhooks" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("webhooks", 51539607552);
-- Create "api_token_partner_organizations" table
CREATE TABLE `api_token_partner_organizations` (`api_token_id` integer NOT NULL, `organization_id` integer NOT NULL, PRIMARY KEY (`api_token_id`, `organization_id`), CONSTRAINT `api_token_partner_organizations_api_token_id` FOREIGN KEY (`api_token_id`) REFERENCES `api_tokens` (`id`) ON DELETE CASCADE, CONSTRAINT `api_token_partner_organizations_organization_id` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE);
