CREATE TABLE `custom_domains` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`hostname` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`cloudflare_id` text,
	`detail` text,
	`verified_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `custom_domains_hostname_unique` ON `custom_domains` (`hostname`);--> statement-breakpoint
CREATE INDEX `custom_domains_host_idx` ON `custom_domains` (`host_id`);--> statement-breakpoint
CREATE TABLE `customer_users` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`email` text NOT NULL,
	`name` text NOT NULL,
	`password_hash` text NOT NULL,
	`role` text NOT NULL,
	`session_version` integer DEFAULT 1 NOT NULL,
	`removed_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `customer_users_host_email_unique` ON `customer_users` (`host_id`,`email`);--> statement-breakpoint
CREATE INDEX `customer_users_customer_idx` ON `customer_users` (`customer_id`);--> statement-breakpoint
CREATE TABLE `email_outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text,
	`to_email` text NOT NULL,
	`template` text NOT NULL,
	`payload` text NOT NULL,
	`subject` text NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`transport` text,
	`rendered_html` text,
	`rendered_text` text,
	`sent_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `email_outbox_host_idx` ON `email_outbox` (`host_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `email_outbox_status_idx` ON `email_outbox` (`status`);--> statement-breakpoint
CREATE TABLE `invites` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`email` text NOT NULL,
	`role` text NOT NULL,
	`token_hash` text NOT NULL,
	`invited_by_kind` text NOT NULL,
	`invited_by_id` text NOT NULL,
	`invited_by_label` text NOT NULL,
	`expires_at` integer NOT NULL,
	`accepted_at` integer,
	`revoked_at` integer,
	`last_sent_at` integer NOT NULL,
	`send_count` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `invites_token_unique` ON `invites` (`token_hash`);--> statement-breakpoint
CREATE INDEX `invites_customer_idx` ON `invites` (`host_id`,`customer_id`);--> statement-breakpoint
CREATE TABLE `password_resets` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`customer_user_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`customer_user_id`) REFERENCES `customer_users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `password_resets_token_unique` ON `password_resets` (`token_hash`);--> statement-breakpoint
ALTER TABLE `hosts` ADD `host_slug` text;--> statement-breakpoint
ALTER TABLE `hosts` ADD `brand_logo_key` text;--> statement-breakpoint
ALTER TABLE `hosts` ADD `brand_slogan` text;--> statement-breakpoint
ALTER TABLE `hosts` ADD `brand_primary_color` text;--> statement-breakpoint
ALTER TABLE `hosts` ADD `brand_accent_color` text;--> statement-breakpoint
CREATE UNIQUE INDEX `hosts_host_slug_unique` ON `hosts` (`host_slug`);