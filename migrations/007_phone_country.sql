-- A portal's default country (ISO 3166 alpha-2, like NL): its users may type
-- a phone number in that country's national format (06 12345678); it is
-- stored in E.164 all the same. Empty: international format only.
ALTER TABLE portals
    ADD COLUMN default_country text NOT NULL DEFAULT '' CHECK (default_country ~ '^([A-Z]{2})?$');
