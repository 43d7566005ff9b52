-- A hotline call's reason as a message code and its parameters, so that
-- the console shows it in the officer's language; reason keeps the
-- English text for notifications and the API.
ALTER TABLE hotline_calls ADD COLUMN reason_code TEXT NOT NULL DEFAULT '';
ALTER TABLE hotline_calls ADD COLUMN reason_params TEXT NOT NULL DEFAULT '{}';
