-- License Central schema, version 1. Portable SQL: runs unchanged on SQLite and PostgreSQL
-- (see store/sql.h for the rules). Times are Unix seconds (BIGINT); booleans are 0/1.

-- Key-value settings of this database, e.g. the fingerprint of the KEK its secrets are
-- sealed under, so that a server started with another KEK refuses to run.
CREATE TABLE settings (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Vendors. The signing key and the firm secret never appear in clear: sealed_secrets is
-- AES-256-GCM under a key derived from the KEK, bound to the firm code (engine/vault.h).
CREATE TABLE firms (
  firm_code      BIGINT PRIMARY KEY,
  name           TEXT NOT NULL,
  public_key     BYTEA NOT NULL,
  sealed_secrets BYTEA NOT NULL,
  created_at     BIGINT NOT NULL
);

-- API keys: only the SHA-256 of the whole key is stored; the key is shown once at creation.
-- firm_code NULL: the key may act for every firm.
CREATE TABLE api_keys (
  id          TEXT PRIMARY KEY,
  prefix      TEXT NOT NULL,
  secret_hash BYTEA NOT NULL UNIQUE,
  scopes      TEXT NOT NULL,
  firm_code   BIGINT REFERENCES firms (firm_code),
  description TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  revoked_at  BIGINT
);

-- License templates. sealed_template is the ProductItem template (engine/template.h),
-- sealed under the KEK because it may carry a product secret or hidden data.
CREATE TABLE products (
  firm_code       BIGINT NOT NULL REFERENCES firms (firm_code),
  product_code    BIGINT NOT NULL,
  name            TEXT NOT NULL,
  sealed_template BYTEA NOT NULL,
  created_at      BIGINT NOT NULL,
  PRIMARY KEY (firm_code, product_code)
);

-- Orders from an ERP. (firm_code, request_id) is unique: the same request id returns the
-- same order and tickets; request_hash tells a replay from a conflicting reuse.
CREATE TABLE orders (
  id           TEXT PRIMARY KEY,
  firm_code    BIGINT NOT NULL REFERENCES firms (firm_code),
  request_id   TEXT NOT NULL,
  request_hash BYTEA NOT NULL,
  erp          TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  UNIQUE (firm_code, request_id)
);

-- Tickets: code is the normalised 25-character code (no dashes). container_masks is a
-- comma-separated list of serial masks allowed ("" = any).
CREATE TABLE tickets (
  code                TEXT PRIMARY KEY,
  order_id            TEXT NOT NULL REFERENCES orders (id),
  position            BIGINT NOT NULL,
  firm_code           BIGINT NOT NULL REFERENCES firms (firm_code),
  state               TEXT NOT NULL,
  activations_allowed BIGINT NOT NULL,
  activations_used    BIGINT NOT NULL,
  returns_allowed     BIGINT NOT NULL,
  recoveries_allowed  BIGINT NOT NULL,
  emergency_count     BIGINT NOT NULL,
  emergency_days      BIGINT NOT NULL,
  transfer_allowed    BIGINT NOT NULL,
  container_masks     TEXT NOT NULL,
  created_at          BIGINT NOT NULL,
  CHECK (activations_used >= 0 AND activations_used <= activations_allowed)
);
CREATE INDEX tickets_by_order ON tickets (order_id, position);

CREATE TABLE ticket_products (
  ticket_code  TEXT NOT NULL REFERENCES tickets (code),
  product_code BIGINT NOT NULL,
  PRIMARY KEY (ticket_code, product_code)
);

-- Containers seen by Central: their public keys are pinned at first sight. state is
-- 'active', 'manipulation_detected' or 'blocked'; flagged_report is the JSON of what the
-- container reported when it was flagged.
CREATE TABLE containers (
  serial         TEXT PRIMARY KEY,
  enc_public_key BYTEA NOT NULL,
  sig_public_key BYTEA NOT NULL,
  state          TEXT NOT NULL,
  state_reason   TEXT NOT NULL,
  flagged_report TEXT NOT NULL,
  first_seen     BIGINT NOT NULL,
  last_seen      BIGINT NOT NULL
);

-- Per container and firm: the FUC Central has issued up to, the FUC a context or receipt
-- confirmed, and the baseline a vendor decision accepted (product codes at baseline_fuc,
-- comma-separated) below which no history is kept.
CREATE TABLE container_firms (
  serial            TEXT NOT NULL REFERENCES containers (serial),
  firm_code         BIGINT NOT NULL REFERENCES firms (firm_code),
  issued_fuc        BIGINT NOT NULL,
  confirmed_fuc     BIGINT NOT NULL,
  baseline_fuc      BIGINT NOT NULL,
  baseline_products TEXT NOT NULL,
  PRIMARY KEY (serial, firm_code)
);

-- Every FUC range Central issued to a container, with its operations sealed under the KEK
-- (they may carry product secrets): the history that missed updates are rebuilt from.
CREATE TABLE fuc_ranges (
  serial      TEXT NOT NULL,
  firm_code   BIGINT NOT NULL,
  fuc_from    BIGINT NOT NULL,
  fuc_to      BIGINT NOT NULL,
  sealed_ops  BYTEA NOT NULL,
  reason      TEXT NOT NULL,
  ticket_code TEXT,
  created_at  BIGINT NOT NULL,
  PRIMARY KEY (serial, firm_code, fuc_from),
  FOREIGN KEY (serial, firm_code) REFERENCES container_firms (serial, firm_code)
);

-- One row per (ticket, container): activating the same ticket again for the same container
-- spends nothing.
CREATE TABLE activations (
  ticket_code TEXT NOT NULL REFERENCES tickets (code),
  serial      TEXT NOT NULL REFERENCES containers (serial),
  firm_code   BIGINT NOT NULL,
  fuc_from    BIGINT NOT NULL,
  fuc_to      BIGINT NOT NULL,
  created_at  BIGINT NOT NULL,
  PRIMARY KEY (ticket_code, serial)
);

-- Licenses: a product of a ticket in a container. state: 'activated' (update issued) or
-- 'confirmed' (a context or receipt showed the container past its FUC).
CREATE TABLE licenses (
  ticket_code  TEXT NOT NULL REFERENCES tickets (code),
  product_code BIGINT NOT NULL,
  serial       TEXT NOT NULL REFERENCES containers (serial),
  firm_code    BIGINT NOT NULL,
  fuc          BIGINT NOT NULL,
  state        TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  confirmed_at BIGINT,
  PRIMARY KEY (ticket_code, product_code, serial)
);
CREATE INDEX licenses_by_container ON licenses (serial, firm_code, fuc);

-- Every license event. id is random; pages are ordered by (at, id).
CREATE TABLE audit_log (
  id          TEXT PRIMARY KEY,
  at          BIGINT NOT NULL,
  event       TEXT NOT NULL,
  actor       TEXT NOT NULL,
  firm_code   BIGINT,
  ticket_code TEXT,
  serial      TEXT,
  detail      TEXT NOT NULL
);
CREATE INDEX audit_by_time ON audit_log (at, id);

-- Responses to POSTs that carried an Idempotency-Key, per API key, replayed verbatim.
CREATE TABLE idempotency_keys (
  api_key_id   TEXT NOT NULL,
  idem_key     TEXT NOT NULL,
  request_hash BYTEA NOT NULL,
  status       BIGINT NOT NULL,
  content_type TEXT NOT NULL,
  body         BYTEA NOT NULL,
  created_at   BIGINT NOT NULL,
  PRIMARY KEY (api_key_id, idem_key)
);
