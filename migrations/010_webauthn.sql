-- Security keys and passkeys (SPEC §14, issue #17).
--
-- A token of type 'webauthn' has no seed (the tokens CHECK keeps secret NULL
-- for every type but totp/hotp); its credential lives in a table of its own,
-- keyed by the token: the credential id the authenticator chose (unique), its
-- COSE public key, the signature counter (a counter that goes backwards means
-- a cloned key: refused), the authenticator model's AAGUID, the transports the
-- browser reported, and the name the user gave it.
ALTER TABLE tokens DROP CONSTRAINT tokens_type_check;
ALTER TABLE tokens ADD CONSTRAINT tokens_type_check CHECK (type IN ('totp', 'hotp', 'email', 'sms', 'webauthn'));

ALTER TABLE portals DROP CONSTRAINT portals_token_types_check;
ALTER TABLE portals ADD CONSTRAINT portals_token_types_check
    CHECK (token_types <@ ARRAY['totp', 'hotp', 'email', 'sms', 'webauthn']);
-- passkey_login: a discoverable passkey with user verification signs in alone.
ALTER TABLE portals ADD COLUMN passkey_login boolean NOT NULL DEFAULT false;

CREATE TABLE webauthn_credentials (
    token_id        bigint PRIMARY KEY REFERENCES tokens (id) ON DELETE CASCADE,
    credential_id   bytea NOT NULL UNIQUE CHECK (length(credential_id) BETWEEN 1 AND 1023),
    public_key      bytea NOT NULL CHECK (length(public_key) BETWEEN 1 AND 4096),
    sign_count      bigint NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
    aaguid          bytea NOT NULL CHECK (length(aaguid) IN (0, 16)),
    transports      text[] NOT NULL DEFAULT '{}' CHECK (cardinality(transports) <= 8),
    -- The library refuses an assertion whose backup-eligible flag differs
    -- from the one the credential was registered with.
    backup_eligible boolean NOT NULL DEFAULT false,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 64)
);
