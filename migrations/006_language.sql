-- A person's language is now chosen, not assumed (SPEC §13): NULL until the
-- person picks one in the switcher, an admin sets one, or the portal learns
-- it from the browser at the first sign-in. Until then pages follow the
-- browser and mails are written in English. 'en' was the default of every
-- row, so it is taken for "not chosen".
ALTER TABLE users ALTER COLUMN language DROP NOT NULL, ALTER COLUMN language DROP DEFAULT;
UPDATE users SET language = NULL WHERE language = 'en';
ALTER TABLE admins ALTER COLUMN language DROP NOT NULL, ALTER COLUMN language DROP DEFAULT;
UPDATE admins SET language = NULL WHERE language = 'en';
