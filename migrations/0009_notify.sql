-- Notify (issue 12): announcements, their recipients and delivery, portal dismissals, and
-- maintenance windows (the units a window covers, and alerts it suppressed). Written by hand.
CREATE TABLE `announcements` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`kind` text DEFAULT 'announcement' NOT NULL,
	`subject` text NOT NULL,
	`body` text NOT NULL,
	`format` text DEFAULT 'plain' NOT NULL,
	`target` text NOT NULL,
	`status` text DEFAULT 'scheduled' NOT NULL,
	`send_at` integer NOT NULL,
	`claim_id` text,
	`started_at` integer,
	`recipient_count` integer DEFAULT 0 NOT NULL,
	`origin` text,
	`site_id` text,
	`starts_at` integer,
	`ends_at` integer,
	`notice_minutes` integer,
	`ended_notice_at` integer,
	`created_by_label` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);--> statement-breakpoint
CREATE INDEX `announcements_host_idx` ON `announcements` (`host_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `announcements_due_idx` ON `announcements` (`status`,`send_at`);--> statement-breakpoint
CREATE INDEX `announcements_maintenance_end_idx` ON `announcements` (`kind`,`ended_notice_at`,`ends_at`);--> statement-breakpoint
CREATE TABLE `announcement_recipients` (
	`announcement_id` text NOT NULL,
	`seq` integer NOT NULL,
	`host_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`email` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`outbox_id` text NOT NULL,
	`ended_outbox_id` text NOT NULL,
	PRIMARY KEY(`announcement_id`, `seq`),
	FOREIGN KEY (`announcement_id`) REFERENCES `announcements`(`id`) ON UPDATE no action ON DELETE cascade
);--> statement-breakpoint
CREATE UNIQUE INDEX `announcement_recipients_email_unique` ON `announcement_recipients` (`announcement_id`,`email`);--> statement-breakpoint
CREATE INDEX `announcement_recipients_customer_idx` ON `announcement_recipients` (`host_id`,`customer_id`);--> statement-breakpoint
CREATE TABLE `announcement_dismissals` (
	`announcement_id` text NOT NULL,
	`customer_user_id` text NOT NULL,
	`dismissed_at` integer NOT NULL,
	PRIMARY KEY(`announcement_id`, `customer_user_id`),
	FOREIGN KEY (`announcement_id`) REFERENCES `announcements`(`id`) ON UPDATE no action ON DELETE cascade
);--> statement-breakpoint
CREATE TABLE `maintenance_units` (
	`announcement_id` text NOT NULL,
	`miner_id` text NOT NULL,
	`host_id` text NOT NULL,
	`customer_id` text,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	PRIMARY KEY(`announcement_id`, `miner_id`),
	FOREIGN KEY (`announcement_id`) REFERENCES `announcements`(`id`) ON UPDATE no action ON DELETE cascade
);--> statement-breakpoint
CREATE INDEX `maintenance_units_miner_idx` ON `maintenance_units` (`miner_id`,`starts_at`);--> statement-breakpoint
CREATE INDEX `maintenance_units_host_idx` ON `maintenance_units` (`host_id`,`ends_at`);--> statement-breakpoint
ALTER TABLE `alerts` ADD `suppressed_by` text;
