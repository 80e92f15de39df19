-- The address of a person's own chat channel: the Slack or Teams webhook they pasted on their
-- preferences page. It is a secret (whoever holds it can post there): pages show only its host.
ALTER TABLE message_preferences ADD COLUMN channel_address TEXT;
