import type { Knex } from 'knex';

// Refunds of disputes an eMSP won after it had paid the CDR's cycle through a captured PayPal
// order. A refund is a booking of kind 'refund' (eMSP ↔ hub) in the cycle that carries the
// dispute's reversal, so the reversal's credit to the eMSP is not paid a second time through
// netting; the refund row tracks the PayPal side (request id, refund id, state, failures).
// The database refuses refunds of a capture beyond what was captured, whatever the code does.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE clearing_bookings DROP CONSTRAINT clearing_bookings_kind_check;
    ALTER TABLE clearing_bookings ADD CONSTRAINT clearing_bookings_kind_check CHECK (kind IN ('cdr', 'credit', 'adjustment', 'refund'));

    -- The table was created unused (no rows), so the new columns can be NOT NULL right away.
    ALTER TABLE clearing_refunds
      ADD COLUMN party text NOT NULL,
      ADD COLUMN currency char(3) NOT NULL,
      ADD COLUMN capture_id text NOT NULL,
      ADD COLUMN booking_id bigint NOT NULL REFERENCES clearing_bookings (id),
      ADD COLUMN reversal_booking_id bigint REFERENCES clearing_bookings (id),
      ADD COLUMN paypal_status text,
      ADD COLUMN attempts integer NOT NULL DEFAULT 0,
      ADD COLUMN error jsonb,
      ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
      ADD COLUMN completed_at timestamptz,
      ADD CONSTRAINT clearing_refunds_status CHECK (status IN ('created', 'pending', 'completed', 'failed')),
      ADD CONSTRAINT clearing_refunds_failed_reversed CHECK ((status = 'failed') = (reversal_booking_id IS NOT NULL));
    CREATE INDEX clearing_refunds_payment ON clearing_refunds (payment_id);
    CREATE INDEX clearing_refunds_outstanding ON clearing_refunds (id) WHERE status IN ('created', 'pending');

    -- Checked at commit: the live (not failed) refunds of a payment never exceed its amount.
    CREATE FUNCTION clearing_check_refunds_within_capture() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      captured bigint;
      refunded bigint;
    BEGIN
      SELECT amount INTO captured FROM clearing_payments WHERE id = NEW.payment_id;
      SELECT COALESCE(sum(amount), 0) INTO refunded FROM clearing_refunds WHERE payment_id = NEW.payment_id AND status <> 'failed';
      IF refunded > captured THEN
        RAISE EXCEPTION 'refunds of payment % sum to %, more than the % captured', NEW.payment_id, refunded, captured
          USING ERRCODE = '23514', CONSTRAINT = 'clearing_refunds_within_capture';
      END IF;
      RETURN NULL;
    END $$;
    CREATE CONSTRAINT TRIGGER clearing_refunds_within_capture AFTER INSERT OR UPDATE ON clearing_refunds
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION clearing_check_refunds_within_capture();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER IF EXISTS clearing_refunds_within_capture ON clearing_refunds;
    DROP FUNCTION IF EXISTS clearing_check_refunds_within_capture();
    DROP INDEX IF EXISTS clearing_refunds_outstanding, clearing_refunds_payment;
    ALTER TABLE clearing_refunds
      DROP CONSTRAINT IF EXISTS clearing_refunds_failed_reversed,
      DROP CONSTRAINT IF EXISTS clearing_refunds_status,
      DROP COLUMN completed_at, DROP COLUMN updated_at, DROP COLUMN error, DROP COLUMN attempts, DROP COLUMN paypal_status,
      DROP COLUMN reversal_booking_id, DROP COLUMN booking_id, DROP COLUMN capture_id, DROP COLUMN currency, DROP COLUMN party;
    ALTER TABLE clearing_bookings DROP CONSTRAINT clearing_bookings_kind_check;
    ALTER TABLE clearing_bookings ADD CONSTRAINT clearing_bookings_kind_check CHECK (kind IN ('cdr', 'credit', 'adjustment'));
  `);
}
