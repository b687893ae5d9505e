-- The whole domain model of SPEC §3. Constraints keep the data honest; the
-- application validates first so people see friendly messages, the database
-- has the last word.

CREATE TABLE admins (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login           text NOT NULL CHECK (length(login) BETWEEN 1 AND 64),
    email           text NOT NULL DEFAULT '' CHECK (length(email) <= 254),
    password_hash   text NOT NULL,
    role            text NOT NULL CHECK (role IN ('superadmin', 'helpdesk', 'owner')),
    -- TOTP secret sealed with AES-256-GCM; NULL until enrolled at first sign-in.
    totp_secret     bytea,
    totp_key_id     text,
    totp_last_step  bigint NOT NULL DEFAULT 0,
    disabled        boolean NOT NULL DEFAULT false,
    failed_logins   integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until    timestamptz,
    language        text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'de', 'nl')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_login_at   timestamptz,
    CHECK ((totp_secret IS NULL) = (totp_key_id IS NULL))
);
CREATE UNIQUE INDEX admins_login_key ON admins (lower(login));

CREATE TABLE users (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login                   text NOT NULL CHECK (length(login) BETWEEN 1 AND 128),
    first_name              text NOT NULL DEFAULT '' CHECK (length(first_name) <= 100),
    last_name               text NOT NULL DEFAULT '' CHECK (length(last_name) <= 100),
    email                   text NOT NULL DEFAULT '' CHECK (length(email) <= 254),
    phone                   text NOT NULL DEFAULT '' CHECK (phone = '' OR phone ~ '^\+[1-9][0-9]{6,14}$'),
    password_hash           text,
    password_changed_at     timestamptz,
    password_never_expires  boolean NOT NULL DEFAULT false,
    valid_until             date,
    temporary_until         timestamptz,
    disabled                boolean NOT NULL DEFAULT false,
    language                text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'de', 'nl')),
    failed_logins           integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until            timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_login_key ON users (lower(login));
-- Prefix search ("jan" finds "Jane.Doe") stays an index scan at 100k users.
CREATE INDEX users_login_prefix_idx ON users (lower(login) text_pattern_ops);
CREATE INDEX users_last_name_prefix_idx ON users (lower(last_name) text_pattern_ops);
CREATE INDEX users_email_prefix_idx ON users (lower(email) text_pattern_ops);

CREATE TABLE resources (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX resources_name_key ON resources (lower(name));

CREATE TABLE resource_owners (
    resource_id bigint NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    admin_id    bigint NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    PRIMARY KEY (resource_id, admin_id)
);
CREATE INDEX resource_owners_admin_idx ON resource_owners (admin_id);

-- A user assigned to a resource. The assignment is "token with user" when one
-- of the user's tokens is assigned to the same resource (tokens.resource_id),
-- plain "user" otherwise.
CREATE TABLE resource_users (
    resource_id bigint NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (resource_id, user_id)
);
CREATE INDEX resource_users_user_idx ON resource_users (user_id);

CREATE TABLE tokens (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    serial          text NOT NULL CHECK (serial ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$'),
    type            text NOT NULL CHECK (type IN ('totp', 'hotp', 'email', 'sms')),
    -- The seed sealed with AES-256-GCM under the key named by key_id. Email and
    -- SMS tokens have no seed.
    secret          bytea,
    key_id          text,
    algorithm       text NOT NULL DEFAULT 'SHA1' CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
    digits          smallint NOT NULL DEFAULT 6 CHECK (digits IN (6, 8)),
    period          smallint NOT NULL DEFAULT 30 CHECK (period IN (30, 60)),
    counter         bigint NOT NULL DEFAULT 0 CHECK (counter >= 0),
    -- Last accepted TOTP step or HOTP counter: a code at or below it is a replay.
    last_step       bigint NOT NULL DEFAULT -1,
    drift           integer NOT NULL DEFAULT 0,
    pin_hash        text,
    pin_position    text NOT NULL DEFAULT 'after' CHECK (pin_position IN ('before', 'after')),
    enabled         boolean NOT NULL DEFAULT true,
    -- Why a token is disabled: by an administrator, by an approved lost-token
    -- request, or because it was exchanged for another one.
    disabled_reason text CHECK (disabled_reason IN ('admin', 'lost', 'reassigned')),
    failcount       integer NOT NULL DEFAULT 0 CHECK (failcount >= 0),
    user_id         bigint REFERENCES users (id) ON DELETE SET NULL,
    resource_id     bigint REFERENCES resources (id) ON DELETE SET NULL,
    description     text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz,
    CHECK ((type IN ('totp', 'hotp')) = (secret IS NOT NULL)),
    CHECK ((secret IS NULL) = (key_id IS NULL)),
    CHECK (enabled = (disabled_reason IS NULL))
) WITH (fillfactor = 70); -- room for HOT updates: every accepted code rewrites the row
CREATE UNIQUE INDEX tokens_serial_key ON tokens (lower(serial));
CREATE INDEX tokens_serial_prefix_idx ON tokens (lower(serial) text_pattern_ops);
CREATE INDEX tokens_user_idx ON tokens (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX tokens_resource_idx ON tokens (resource_id, user_id);

CREATE TABLE portals (
    resource_id                         bigint PRIMARY KEY REFERENCES resources (id) ON DELETE CASCADE,
    alias                               text NOT NULL CHECK (alias ~ '^[a-z0-9][a-z0-9-]{1,39}$'),
    enabled                             boolean NOT NULL DEFAULT false,
    token_types                         text[] NOT NULL DEFAULT '{totp}'
        CHECK (token_types <@ ARRAY['totp', 'hotp', 'email', 'sms']),
    trusted_networks                    cidr[] NOT NULL DEFAULT '{}',
    otp_outside_trusted                 boolean NOT NULL DEFAULT false,
    deny_without_token_outside_trusted  boolean NOT NULL DEFAULT false,
    require_token                       boolean NOT NULL DEFAULT false,
    remember_device_days                integer NOT NULL DEFAULT 0 CHECK (remember_device_days BETWEEN 0 AND 365),
    max_tokens_per_user                 integer NOT NULL DEFAULT 1 CHECK (max_tokens_per_user BETWEEN 1 AND 10),
    pin_length                          integer NOT NULL DEFAULT 4 CHECK (pin_length BETWEEN 4 AND 8),
    updated_at                          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX portals_alias_key ON portals (alias);

-- The 14 actions of a portal, each with its place in the order and its switch.
CREATE TABLE portal_actions (
    resource_id bigint NOT NULL REFERENCES portals (resource_id) ON DELETE CASCADE,
    action      text NOT NULL CHECK (action IN (
        'register-token', 'register-existing-token', 'reassign-token', 'unassign-token',
        'sync-token', 'set-pin', 'remove-pin', 'create-password', 'change-password',
        'change-email', 'change-phone', 'change-login', 'change-name', 'manage-environment')),
    position    smallint NOT NULL CHECK (position BETWEEN 1 AND 14),
    enabled     boolean NOT NULL DEFAULT false,
    PRIMARY KEY (resource_id, action),
    UNIQUE (resource_id, position) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE recovery_codes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- HMAC-SHA256 of the normalised code under a key derived from SECRET_KEY.
    code_hash   bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    used_at     timestamptz,
    UNIQUE (user_id, code_hash)
);

CREATE TABLE user_issues (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id             bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    resource_id         bigint NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    lost                text[] NOT NULL
        CHECK (cardinality(lost) BETWEEN 1 AND 3 AND lost <@ ARRAY['token', 'password', 'email']),
    evidence_token      text NOT NULL CHECK (evidence_token IN ('verified', 'failed', 'lost', 'absent')),
    evidence_password   text NOT NULL CHECK (evidence_password IN ('verified', 'failed', 'lost', 'absent')),
    evidence_email      text NOT NULL CHECK (evidence_email IN ('verified', 'failed', 'lost', 'absent')),
    new_password_hash   text,
    new_email           text CHECK (length(new_email) <= 254),
    status              text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'verified', 'deleted', 'withdrawn')),
    handled_by          bigint REFERENCES admins (id) ON DELETE SET NULL,
    handled_at          timestamptz,
    ip                  inet,
    user_agent          text NOT NULL DEFAULT '' CHECK (length(user_agent) <= 512),
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (('password' = ANY (lost)) = (new_password_hash IS NOT NULL)),
    CHECK (('email' = ANY (lost)) = (new_email IS NOT NULL)),
    CHECK ((status = 'open') = (handled_at IS NULL))
);
-- At most one open request per user and resource: a newer one replaces it.
CREATE UNIQUE INDEX user_issues_open_key ON user_issues (user_id, resource_id) WHERE status = 'open';
CREATE INDEX user_issues_status_idx ON user_issues (status, created_at DESC, id DESC);
CREATE INDEX user_issues_resource_idx ON user_issues (resource_id, status, created_at DESC);

CREATE TABLE activities (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_type  text NOT NULL CHECK (actor_type IN ('user', 'admin', 'apikey', 'system')),
    actor_id    bigint,
    actor_name  text NOT NULL DEFAULT '',
    user_id     bigint REFERENCES users (id) ON DELETE SET NULL,
    resource_id bigint REFERENCES resources (id) ON DELETE SET NULL,
    event       text NOT NULL CHECK (event ~ '^[A-Z][A-Za-z]{2,40}$'),
    ip          inet,
    user_agent  text NOT NULL DEFAULT '' CHECK (length(user_agent) <= 512),
    details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX activities_at_idx ON activities (at DESC, id DESC);
CREATE INDEX activities_user_idx ON activities (user_id, at DESC, id DESC);
CREATE INDEX activities_event_idx ON activities (event, at DESC, id DESC);
CREATE INDEX activities_resource_idx ON activities (resource_id, at DESC, id DESC);

CREATE TABLE api_keys (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    -- The public part of the key, used to find the row; the secret part is
    -- stored only as its SHA-256.
    prefix          text NOT NULL UNIQUE,
    key_hash        bytea NOT NULL,
    role            text NOT NULL CHECK (role IN ('superadmin', 'helpdesk', 'owner', 'validate')),
    resource_id     bigint REFERENCES resources (id) ON DELETE CASCADE,
    created_by      bigint REFERENCES admins (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz,
    revoked_at      timestamptz,
    CHECK (role <> 'owner' OR resource_id IS NOT NULL)
);

CREATE TABLE one_time_codes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    purpose     text NOT NULL CHECK (purpose IN ('login', 'token', 'enrol', 'restore', 'email-change')),
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    resource_id bigint REFERENCES resources (id) ON DELETE CASCADE,
    token_id    bigint REFERENCES tokens (id) ON DELETE CASCADE,
    -- Where the code went (an email address or a phone number).
    target      text NOT NULL DEFAULT '',
    code_hash   bytea NOT NULL,
    expires_at  timestamptz NOT NULL,
    attempts    integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX one_time_codes_user_idx ON one_time_codes (user_id, purpose, created_at DESC);

CREATE TABLE remembered_devices (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    resource_id bigint NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at  timestamptz,
    ip          inet,
    user_agent  text NOT NULL DEFAULT '' CHECK (length(user_agent) <= 512)
);
CREATE INDEX remembered_devices_user_idx ON remembered_devices (user_id, resource_id);

-- Fixed-window counters shared by every instance: login failures per IP,
-- restore requests per login, and the like.
CREATE TABLE rate_limits (
    key          text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    count        integer NOT NULL
);

-- Admin accounts subscribed to new user issues: resource_id NULL means all.
CREATE TABLE issue_subscriptions (
    admin_id    bigint NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    resource_id bigint REFERENCES resources (id) ON DELETE CASCADE,
    UNIQUE NULLS NOT DISTINCT (admin_id, resource_id)
);

CREATE TABLE settings (
    key         text PRIMARY KEY,
    value       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  bigint REFERENCES admins (id) ON DELETE SET NULL
);

-- Sessions of scs/v2 (pgxstore layout); tokens are stored hashed.
CREATE TABLE sessions (
    token  text PRIMARY KEY,
    data   bytea NOT NULL,
    expiry timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);
