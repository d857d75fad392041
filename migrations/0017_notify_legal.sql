-- API key scopes (issue 12): what a key may do beyond the host's ordinary API. A JSON array of
-- scope names; every existing key starts with none. The one scope so far, `tickets:internal_notes`,
-- lets a key read support tickets' internal staff notes (`include_internal=true`). Written by hand.
ALTER TABLE `api_keys` ADD `scopes` text DEFAULT '[]' NOT NULL;
