-- RADIUS (SPEC §11): the clients that may ask (per resource), the states of
-- open challenges, and the two RADIUS settings of a resource, kept with its
-- portal settings.

CREATE TABLE radius_clients (
    id                              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource_id                     bigint NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    name                            text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    -- An address (/32, /128) or a network, masked.
    address                         cidr NOT NULL CHECK (masklen(address) > 0),
    -- The shared secret sealed with AES-256-GCM under the key named by key_id.
    secret                          bytea NOT NULL,
    key_id                          text NOT NULL,
    require_message_authenticator   boolean NOT NULL DEFAULT true,
    created_at                      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX radius_clients_address_key ON radius_clients (address);
-- Longest-prefix lookups of a packet's source address.
CREATE INDEX radius_clients_address_idx ON radius_clients USING gist (address inet_ops);
CREATE INDEX radius_clients_resource_idx ON radius_clients (resource_id);

-- An address belongs to one resource only: a client may not overlap a
-- client of another resource (within one resource the longest prefix wins).
-- The service checks first for a friendly message; this has the last word.
-- The lock serialises concurrent inserts, and the check, a new statement in
-- a volatile function, sees what was committed before it.
CREATE FUNCTION radius_clients_one_resource() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('radius_clients'));
    IF EXISTS (SELECT 1 FROM radius_clients c
               WHERE c.address && NEW.address AND c.resource_id <> NEW.resource_id AND c.id <> NEW.id) THEN
        RAISE EXCEPTION 'radius client address % overlaps a client of another resource', NEW.address
            USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'radius_clients_one_resource';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER radius_clients_one_resource BEFORE INSERT OR UPDATE OF address, resource_id ON radius_clients
    FOR EACH ROW EXECUTE FUNCTION radius_clients_one_resource();

-- An Access-Challenge's State: only its SHA-256 is kept. Single use, bound
-- to the user and the client, short-lived.
CREATE TABLE radius_states (
    state_hash  bytea PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id   bigint NOT NULL REFERENCES radius_clients (id) ON DELETE CASCADE,
    resource_id bigint NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX radius_states_expires_idx ON radius_states (expires_at);

ALTER TABLE portals
    ADD COLUMN radius_first_factor text NOT NULL DEFAULT 'password' CHECK (radius_first_factor IN ('password', 'otp')),
    ADD COLUMN radius_allow_without_token boolean NOT NULL DEFAULT false;
