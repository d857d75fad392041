-- Legal agreements with versioned acceptance, and the quote builder (issue 13). Written by hand.
-- A document's versions are immutable once published: an acceptance cites the version and the
-- SHA-256 of exactly the text or file that was shown, so what a customer accepted can be proven.
CREATE TABLE `legal_documents` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`title` text NOT NULL,
	`required_for` text DEFAULT 'all' NOT NULL,
	`current_version_id` text,
	`archived_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `legal_documents_host_idx` ON `legal_documents` (`host_id`,`archived_at`);--> statement-breakpoint
CREATE TABLE `legal_document_versions` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`document_id` text NOT NULL,
	`version` integer NOT NULL,
	`format` text NOT NULL,
	`body` text,
	`file_key` text,
	`file_name` text,
	`size_bytes` integer NOT NULL,
	`sha256` text NOT NULL,
	`change_note` text,
	`published_by_label` text NOT NULL,
	`published_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`document_id`) REFERENCES `legal_documents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `legal_document_versions_unique` ON `legal_document_versions` (`document_id`,`version`);--> statement-breakpoint
CREATE TABLE `legal_acceptances` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`document_id` text NOT NULL,
	`version_id` text NOT NULL,
	`version` integer NOT NULL,
	`sha256` text NOT NULL,
	`customer_user_id` text NOT NULL,
	`accepted_by_name` text NOT NULL,
	`accepted_by_email` text NOT NULL,
	`ip` text,
	`accepted_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`document_id`) REFERENCES `legal_documents`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`version_id`) REFERENCES `legal_document_versions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `legal_acceptances_customer_version_unique` ON `legal_acceptances` (`customer_id`,`version_id`);--> statement-breakpoint
CREATE INDEX `legal_acceptances_document_idx` ON `legal_acceptances` (`host_id`,`document_id`,`accepted_at`);--> statement-breakpoint
CREATE TABLE `quotes` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`number` integer NOT NULL,
	`status` text DEFAULT 'draft' NOT NULL,
	`prospect_name` text NOT NULL,
	`prospect_company` text,
	`prospect_email` text NOT NULL,
	`prospect_phone` text,
	`kind` text NOT NULL,
	`currency` text NOT NULL,
	`pricing` text,
	`energy_rate_micros_per_kwh` integer,
	`monthly_fee_minor` integer,
	`price_micros_per_th_day` integer,
	`term_months` integer NOT NULL,
	`setup_fee_minor` integer DEFAULT 0 NOT NULL,
	`deposit_minor` integer DEFAULT 0 NOT NULL,
	`valid_until` text NOT NULL,
	`notes` text,
	`monthly_estimate_minor` integer NOT NULL,
	`token_hash` text,
	`sent_at` integer,
	`viewed_at` integer,
	`accepted_at` integer,
	`accepted_by_name` text,
	`accepted_by_title` text,
	`accepted_ip` text,
	`accepted_agreements` text,
	`declined_at` integer,
	`decline_reason` text,
	`customer_id` text,
	`contract_id` text,
	`created_by_label` text NOT NULL,
	`created_by_email` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `quotes_host_number_unique` ON `quotes` (`host_id`,`number`);--> statement-breakpoint
CREATE UNIQUE INDEX `quotes_token_unique` ON `quotes` (`token_hash`);--> statement-breakpoint
CREATE INDEX `quotes_host_status_idx` ON `quotes` (`host_id`,`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `quote_lines` (
	`id` text PRIMARY KEY NOT NULL,
	`quote_id` text NOT NULL,
	`host_id` text NOT NULL,
	`position` integer NOT NULL,
	`description` text NOT NULL,
	`units` integer NOT NULL,
	`nominal_mths` integer,
	`power_w` integer,
	`monthly_minor` integer NOT NULL,
	FOREIGN KEY (`quote_id`) REFERENCES `quotes`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `quote_lines_quote_idx` ON `quote_lines` (`quote_id`,`position`);
