-- Default and pool redirect (issue 10, docs/DEFAULT.md). Written by hand.
-- Settings → Default and holding pool: one row per host; a host without a row never opens a
-- default by itself and has no holding pool (src/default/settings.ts).
CREATE TABLE `default_settings` (
	`host_id` text PRIMARY KEY NOT NULL,
	`holding_pool_url` text,
	`holding_account` text,
	`worker_rule` text DEFAULT '{account}.{serial}' NOT NULL,
	`pool_password` text DEFAULT 'x' NOT NULL,
	`grace_days` integer,
	`auto_redirect_days` integer,
	`confirm_minutes` integer DEFAULT 30 NOT NULL,
	`pay_down` integer DEFAULT false NOT NULL,
	`hashprice_source` text DEFAULT 'manual' NOT NULL,
	`hashprice_url` text,
	`notice_emails` integer DEFAULT true NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
-- Hashprice per UTC day: integer micro-USD per TH/s per day (55.123456 USD = 55123456).
CREATE TABLE `hashprice_days` (
	`host_id` text NOT NULL,
	`day` text NOT NULL,
	`price_micros` integer NOT NULL,
	`source` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`host_id`, `day`),
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `default_cases` ADD `invoice_id` text;--> statement-breakpoint
ALTER TABLE `default_cases` ADD `opened_by` text;--> statement-breakpoint
ALTER TABLE `default_cases` ADD `closed_by` text;--> statement-breakpoint
ALTER TABLE `default_cases` ADD `close_reason` text;--> statement-breakpoint
ALTER TABLE `default_cases` ADD `credit_notice_at` integer;--> statement-breakpoint
-- One open case per customer: two racing crons (or a click and the cron) cannot open a second.
CREATE UNIQUE INDEX `default_cases_one_open` ON `default_cases` (`customer_id`) WHERE `closed_at` IS NULL;--> statement-breakpoint
ALTER TABLE `pool_redirects` ADD `pool_password` text DEFAULT 'x' NOT NULL;--> statement-breakpoint
ALTER TABLE `pool_redirects` ADD `scope` text DEFAULT 'all' NOT NULL;--> statement-breakpoint
ALTER TABLE `pool_redirects` ADD `scope_value` integer;--> statement-breakpoint
ALTER TABLE `pool_redirects` ADD `started_by` text;--> statement-breakpoint
ALTER TABLE `pool_redirects` ADD `ended_by` text;--> statement-breakpoint
CREATE UNIQUE INDEX `pool_redirects_one_active` ON `pool_redirects` (`customer_id`) WHERE `ended_at` IS NULL;--> statement-breakpoint
-- One row per unit of a redirect: the pool it reported at the start (restored at the end) and
-- its progress. phase 'redirect' = should mine on target; 'restore' = should go back to previous.
CREATE TABLE `pool_redirect_units` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`redirect_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`miner_id` text NOT NULL,
	`site_id` text NOT NULL,
	`previous_pool_url` text,
	`previous_pool_user` text,
	`target_pool_url` text NOT NULL,
	`target_pool_user` text NOT NULL,
	`phase` text DEFAULT 'redirect' NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`failure` text,
	`failure_message` text,
	`attempts` integer DEFAULT 1 NOT NULL,
	`requested_at` integer NOT NULL,
	`confirmed_at` integer,
	`redirected_at` integer,
	`joined_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`redirect_id`) REFERENCES `pool_redirects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `pool_redirect_units_unit` ON `pool_redirect_units` (`redirect_id`,`miner_id`);--> statement-breakpoint
CREATE INDEX `pool_redirect_units_miner_idx` ON `pool_redirect_units` (`host_id`,`miner_id`,`phase`,`status`);--> statement-breakpoint
CREATE INDEX `pool_redirect_units_open_idx` ON `pool_redirect_units` (`host_id`,`status`);--> statement-breakpoint
-- One hashrate credit per (case, UTC day): the primary key makes the daily credit idempotent.
CREATE TABLE `hashrate_credit_days` (
	`default_case_id` text NOT NULL,
	`day` text NOT NULL,
	`host_id` text NOT NULL,
	`credit_id` text,
	`amount_minor` integer NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`default_case_id`, `day`),
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
