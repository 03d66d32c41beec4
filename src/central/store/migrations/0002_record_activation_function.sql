-- dialect: postgresql
-- Version 2, PostgreSQL only (store/migrate.h: on SQLite this version is recorded with
-- nothing run). The write tail of a new activation as one server-side function, so that
-- store::Tx::RecordActivation is one statement, sent with the COMMIT in one round trip,
-- instead of six statements: the plans are cached by PL/pgSQL and no statement of it
-- crosses the socket on its own. It runs exactly the statements of the portable path
-- (store_tickets.cc, store_containers.cc, store_audit.cc), in the same order, in the
-- caller's transaction:
--   1. spend one activation: the conditional UPDATE that never overspends (the row lock it
--      takes makes concurrent spenders of one ticket, on any instance, take turns);
--   2. the licenses, one per product, at their FUCs;
--   3. the compare-and-set of the container's issued FUC;
--   4. the sealed FUC range, the activation row and the audit event.
-- Failures fail the whole transaction with SQLSTATE LC001 (no activation left: the
-- Store's kNoMoreLicenses), 40001 (the compare-and-set lost a race: kBusy, Transact runs
-- the request again) or 23505 (a row a concurrent twin inserted first: kBusy as well).
-- Returns the activations the ticket has left.
CREATE OR REPLACE FUNCTION licet_record_activation(
    p_ticket TEXT, p_serial TEXT, p_firm BIGINT, p_expected_fuc BIGINT, p_new_fuc BIGINT,
    p_products BIGINT[], p_fucs BIGINT[], p_now BIGINT, p_range_from BIGINT,
    p_sealed_ops BYTEA, p_reason TEXT, p_audit_id TEXT, p_event TEXT, p_actor TEXT,
    p_detail TEXT)
  RETURNS BIGINT
  LANGUAGE plpgsql
AS $$
DECLARE
  v_left BIGINT;
BEGIN
  UPDATE tickets SET activations_used = activations_used + 1
   WHERE code = p_ticket AND state = 'active' AND activations_used < activations_allowed
   RETURNING activations_allowed - activations_used INTO v_left;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'ticket has no activation left' USING ERRCODE = 'LC001';
  END IF;
  INSERT INTO licenses (ticket_code, product_code, serial, firm_code, fuc, state, created_at,
                        confirmed_at)
    SELECT p_ticket, u.product, p_serial, p_firm, u.fuc, 'activated', p_now, NULL
      FROM unnest(p_products, p_fucs) AS u (product, fuc);
  UPDATE container_firms SET issued_fuc = p_new_fuc
   WHERE serial = p_serial AND firm_code = p_firm AND issued_fuc = p_expected_fuc;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'another request issued for this container' USING ERRCODE = '40001';
  END IF;
  INSERT INTO fuc_ranges (serial, firm_code, fuc_from, fuc_to, sealed_ops, reason, ticket_code,
                          created_at)
    VALUES (p_serial, p_firm, p_range_from, p_new_fuc, p_sealed_ops, p_reason, p_ticket, p_now);
  INSERT INTO activations (ticket_code, serial, firm_code, fuc_from, fuc_to, created_at)
    VALUES (p_ticket, p_serial, p_firm, p_range_from, p_new_fuc, p_now);
  INSERT INTO audit_log (id, at, event, actor, firm_code, ticket_code, serial, detail)
    VALUES (p_audit_id, p_now, p_event, p_actor, p_firm, p_ticket, p_serial,
            p_detail);
  RETURN v_left;
END
$$;
