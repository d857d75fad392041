-- Support tickets (docs/ARCHITECTURE.md, "Support tickets"). Written by hand.
-- A ticket belongs to one customer of one host; its thread is support_messages, where
-- `internal` rows are staff notes the customer never sees (not in the portal, its JSON or any
-- email). A dispute ("Question this line") names the invoice line it questions, and the credit
-- that resolved it, if any.
CREATE TABLE `support_tickets` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`number` integer NOT NULL,
	`subject` text NOT NULL,
	`category` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`assignee_user_id` text,
	`opened_by_kind` text NOT NULL,
	`opened_by_label` text NOT NULL,
	`invoice_id` text,
	`invoice_line_id` text,
	`credit_id` text,
	`last_message_at` integer NOT NULL,
	`waiting_since` integer,
	`resolved_at` integer,
	`closed_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`assignee_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `support_tickets_number_unique` ON `support_tickets` (`host_id`,`number`);--> statement-breakpoint
CREATE INDEX `support_tickets_host_idx` ON `support_tickets` (`host_id`,`status`,`last_message_at`);--> statement-breakpoint
CREATE INDEX `support_tickets_customer_idx` ON `support_tickets` (`host_id`,`customer_id`,`last_message_at`);--> statement-breakpoint
CREATE INDEX `support_tickets_line_idx` ON `support_tickets` (`host_id`,`invoice_id`,`invoice_line_id`);--> statement-breakpoint
CREATE TABLE `support_ticket_units` (
	`ticket_id` text NOT NULL,
	`miner_id` text NOT NULL,
	`host_id` text NOT NULL,
	PRIMARY KEY(`ticket_id`, `miner_id`),
	FOREIGN KEY (`ticket_id`) REFERENCES `support_tickets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`miner_id`) REFERENCES `miners`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `support_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`ticket_id` text NOT NULL,
	`host_id` text NOT NULL,
	`author_kind` text NOT NULL,
	`author_id` text,
	`author_label` text NOT NULL,
	`internal` integer DEFAULT false NOT NULL,
	`body` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`ticket_id`) REFERENCES `support_tickets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `support_messages_ticket_idx` ON `support_messages` (`ticket_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `support_attachments` (
	`id` text PRIMARY KEY NOT NULL,
	`ticket_id` text NOT NULL,
	`message_id` text NOT NULL,
	`host_id` text NOT NULL,
	`r2_key` text NOT NULL,
	`filename` text NOT NULL,
	`content_type` text NOT NULL,
	`size_bytes` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`ticket_id`) REFERENCES `support_tickets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`message_id`) REFERENCES `support_messages`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `support_attachments_message_idx` ON `support_attachments` (`message_id`);--> statement-breakpoint
CREATE TABLE `support_settings` (
	`host_id` text PRIMARY KEY NOT NULL,
	`support_email` text,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
