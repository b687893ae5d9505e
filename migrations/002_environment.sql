-- Environments a user has signed in from (SPEC §5.14): the network prefix of
-- the address (/24 for IPv4, /48 for IPv6) and the browser family. A sign-in
-- from one not seen before mails the user.
CREATE TABLE user_environments (
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ip_prefix   cidr NOT NULL,
    browser     text NOT NULL CHECK (length(browser) BETWEEN 1 AND 40),
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    PRIMARY KEY (user_id, ip_prefix, browser)
);
