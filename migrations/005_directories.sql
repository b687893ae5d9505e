-- Directories (SPEC §12): LDAP and Active Directory connections, the users
-- they own and the resource assignments their groups make.

CREATE TABLE directories (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                    text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    url                     text NOT NULL CHECK (length(url) BETWEEN 1 AND 1000),
    start_tls               boolean NOT NULL DEFAULT false,
    ca_pem                  text NOT NULL DEFAULT '' CHECK (length(ca_pem) <= 65536),
    bind_dn                 text NOT NULL CHECK (length(bind_dn) BETWEEN 1 AND 1000),
    -- The service account's password sealed with AES-256-GCM under key_id.
    bind_password           bytea NOT NULL,
    key_id                  text NOT NULL,
    base_dn                 text NOT NULL CHECK (length(base_dn) BETWEEN 1 AND 1000),
    user_filter             text NOT NULL CHECK (length(user_filter) BETWEEN 1 AND 4000),
    -- {login, email, phone, first_name, last_name, id}: attribute names.
    attributes              jsonb NOT NULL,
    disabled_filter         text NOT NULL DEFAULT '' CHECK (length(disabled_filter) <= 4000),
    nested_groups           boolean NOT NULL DEFAULT false,
    sync_interval_seconds   integer NOT NULL DEFAULT 900 CHECK (sync_interval_seconds >= 0),
    -- The last sync's outcome ({at, ok, error, counts, problems}).
    last_sync               jsonb,
    last_sync_at            timestamptz,
    -- A sync in progress claims the directory until then (one at a time).
    sync_claimed_until      timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX directories_name_key ON directories (lower(name));

-- Members of group_dn are assigned to resource_id.
CREATE TABLE directory_groups (
    directory_id    bigint NOT NULL REFERENCES directories (id) ON DELETE CASCADE,
    position        integer NOT NULL,
    group_dn        text NOT NULL CHECK (length(group_dn) BETWEEN 1 AND 1000),
    resource_id     bigint NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    PRIMARY KEY (directory_id, position)
);
CREATE INDEX directory_groups_resource_idx ON directory_groups (resource_id);

-- A directory's user: linked by the entry's stable id (entryUUID,
-- objectGUID), so a renamed login follows its user. directory_disabled: the
-- directory disabled the user (missing, or matching disabled_filter), and
-- enables them again when they come back; a user disabled by hand stays so.
ALTER TABLE users
    ADD COLUMN directory_id bigint REFERENCES directories (id),
    ADD COLUMN external_id text CHECK (length(external_id) BETWEEN 1 AND 256),
    ADD COLUMN directory_disabled boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT users_directory_link CHECK ((directory_id IS NULL) = (external_id IS NULL));
CREATE UNIQUE INDEX users_directory_external_key ON users (directory_id, external_id) WHERE directory_id IS NOT NULL;

-- An assignment made by a directory's group (NULL: made by hand). A sync
-- adds and removes only its own.
ALTER TABLE resource_users ADD COLUMN directory_id bigint REFERENCES directories (id) ON DELETE SET NULL;
CREATE INDEX resource_users_directory_idx ON resource_users (directory_id) WHERE directory_id IS NOT NULL;

-- A directory's user asks to restore a forgotten password (or an address the
-- directory keeps) without a new one: the helpdesk resets it in the
-- directory. A new password or address still needs its lost item.
ALTER TABLE user_issues
    DROP CONSTRAINT user_issues_check,
    DROP CONSTRAINT user_issues_check1,
    ADD CONSTRAINT user_issues_new_password_lost CHECK (new_password_hash IS NULL OR 'password' = ANY (lost)),
    ADD CONSTRAINT user_issues_new_email_lost CHECK (new_email IS NULL OR 'email' = ANY (lost));
