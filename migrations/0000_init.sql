CREATE TABLE `activity_log` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`customer_id` text,
	`actor_kind` text NOT NULL,
	`actor_id` text,
	`actor_label` text NOT NULL,
	`action` text NOT NULL,
	`changes` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `activity_customer_idx` ON `activity_log` (`host_id`,`customer_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `activity_host_idx` ON `activity_log` (`host_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`name` text NOT NULL,
	`prefix` text NOT NULL,
	`key_hash` text NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash_unique` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_host_idx` ON `api_keys` (`host_id`);--> statement-breakpoint
CREATE TABLE `contract_sites` (
	`contract_id` text NOT NULL,
	`site_id` text NOT NULL,
	`host_id` text NOT NULL,
	PRIMARY KEY(`contract_id`, `site_id`),
	FOREIGN KEY (`contract_id`) REFERENCES `contracts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `contracts` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`kind` text NOT NULL,
	`status` text DEFAULT 'draft' NOT NULL,
	`name` text NOT NULL,
	`starts_at` integer,
	`ends_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `contracts_customer_idx` ON `contracts` (`customer_id`,`status`);--> statement-breakpoint
CREATE INDEX `contracts_host_idx` ON `contracts` (`host_id`);--> statement-breakpoint
CREATE TABLE `customers` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`name` text NOT NULL,
	`sort_name` text NOT NULL,
	`company_name` text,
	`contact_email` text NOT NULL,
	`billing_email` text,
	`phone` text,
	`billing_currency` text,
	`notes` text,
	`active` integer DEFAULT true NOT NULL,
	`portal_access` integer DEFAULT true NOT NULL,
	`team_name` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `customers_host_sort_idx` ON `customers` (`host_id`,`sort_name`,`id`);--> statement-breakpoint
CREATE INDEX `customers_host_created_idx` ON `customers` (`host_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `customers_host_email_idx` ON `customers` (`host_id`,`contact_email`);--> statement-breakpoint
CREATE TABLE `default_cases` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`reason` text NOT NULL,
	`opened_at` integer NOT NULL,
	`closed_at` integer,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `default_cases_customer_idx` ON `default_cases` (`customer_id`,`closed_at`);--> statement-breakpoint
CREATE INDEX `default_cases_host_idx` ON `default_cases` (`host_id`);--> statement-breakpoint
CREATE TABLE `host_users` (
	`host_id` text NOT NULL,
	`user_id` text NOT NULL,
	`role` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`host_id`, `user_id`),
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `host_users_user_idx` ON `host_users` (`user_id`);--> statement-breakpoint
CREATE TABLE `hosts` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`main_slug` text NOT NULL,
	`default_currency` text DEFAULT 'USD' NOT NULL,
	`timezone` text DEFAULT 'UTC' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `hosts_main_slug_unique` ON `hosts` (`main_slug`);--> statement-breakpoint
CREATE TABLE `miners` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`site_id` text,
	`customer_id` text,
	`serial` text,
	`mac` text,
	`ip` text,
	`vendor` text,
	`model` text,
	`firmware` text,
	`nominal_hashrate_mths` integer,
	`nominal_power_w` integer,
	`rack_location` text,
	`status` text DEFAULT 'staged' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `miners_host_idx` ON `miners` (`host_id`,`status`);--> statement-breakpoint
CREATE INDEX `miners_customer_idx` ON `miners` (`customer_id`);--> statement-breakpoint
CREATE INDEX `miners_site_idx` ON `miners` (`site_id`);--> statement-breakpoint
CREATE TABLE `pool_redirects` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`default_case_id` text,
	`pool_url` text NOT NULL,
	`pool_user` text NOT NULL,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`default_case_id`) REFERENCES `default_cases`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `pool_redirects_customer_idx` ON `pool_redirects` (`customer_id`,`ended_at`);--> statement-breakpoint
CREATE INDEX `pool_redirects_host_idx` ON `pool_redirects` (`host_id`);--> statement-breakpoint
CREATE TABLE `rate_limits` (
	`key` text PRIMARY KEY NOT NULL,
	`window_start` integer NOT NULL,
	`count` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sites` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`name` text NOT NULL,
	`city` text,
	`region` text,
	`country` text,
	`timezone` text DEFAULT 'UTC' NOT NULL,
	`capacity_kw` integer,
	`energy_cost_micros_per_kwh` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sites_host_idx` ON `sites` (`host_id`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`name` text NOT NULL,
	`password_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);