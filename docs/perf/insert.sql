-- The raw single-row insert that createTicket is compared with: one row of
-- a ticket's size into an indexed table, committed on its own (pgbench
-- runs each script as one transaction).
INSERT INTO raw_tickets (subject, description, status, priority, organization_id, created_at)
VALUES ('Printer jams', 'It jams on every second page since this morning.', 'NEW', 'MEDIUM', 1 + (random() * 99)::int, now());
