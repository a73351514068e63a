import type { Knex } from 'knex';

// The clearing house: roaming agreements (with history), a double-entry ledger whose balance rule
// is enforced by the database, CDR bookings keyed by the OCPI identity of the CDR, disputes,
// clearing cycles with their positions, statements and PayPal payments.
//
// Amounts are integers at a fixed scale of 4 decimals (OCPI carries 4): 1 EUR = 10000.
// Ledger lines are signed: positive = debit, negative = credit. Every entry sums to zero per
// currency (deferred constraint trigger, checked at commit); entries and lines are immutable.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE clearing_agreements (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      reference text,
      cpo_country_code varchar(2) NOT NULL,
      cpo_party_id varchar(3) NOT NULL,
      emsp_country_code varchar(2) NOT NULL,
      emsp_party_id varchar(3) NOT NULL,
      valid_from timestamptz NOT NULL,
      valid_to timestamptz,
      currencies text[] NOT NULL CHECK (cardinality(currencies) > 0),
      fee_fixed bigint NOT NULL DEFAULT 0 CHECK (fee_fixed >= 0),
      fee_rate_ppm integer NOT NULL DEFAULT 0 CHECK (fee_rate_ppm BETWEEN 0 AND 1000000),
      fee_payer text NOT NULL CHECK (fee_payer IN ('CPO', 'EMSP', 'SPLIT')),
      settlement_period text NOT NULL CHECK (settlement_period IN ('WEEKLY', 'MONTHLY')),
      payment_terms_days integer NOT NULL CHECK (payment_terms_days BETWEEN 0 AND 365),
      dispute_window_days integer NOT NULL CHECK (dispute_window_days BETWEEN 0 AND 365),
      vat_treatment text NOT NULL CHECK (vat_treatment IN ('INCL_VAT', 'EXCL_VAT')),
      status text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'ENDED')),
      version integer NOT NULL DEFAULT 1,
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by text NOT NULL,
      ended_at timestamptz,
      ended_by text,
      end_reason text,
      CHECK (valid_to IS NULL OR valid_to > valid_from),
      CHECK (upper(cpo_country_code) = cpo_country_code AND upper(cpo_party_id) = cpo_party_id
         AND upper(emsp_country_code) = emsp_country_code AND upper(emsp_party_id) = emsp_party_id)
    );
    CREATE INDEX clearing_agreements_pair ON clearing_agreements (cpo_country_code, cpo_party_id, emsp_country_code, emsp_party_id);

    CREATE TABLE clearing_agreement_history (
      id bigserial PRIMARY KEY,
      agreement_id uuid NOT NULL REFERENCES clearing_agreements (id),
      version integer NOT NULL,
      action text NOT NULL,
      actor text NOT NULL,
      at timestamptz NOT NULL DEFAULT now(),
      snapshot jsonb NOT NULL
    );

    CREATE FUNCTION clearing_agreement_history_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' THEN
        IF NEW.version <> OLD.version + 1 THEN
          RAISE EXCEPTION 'agreement % must change version % -> %', NEW.id, OLD.version, OLD.version + 1 USING ERRCODE = '23514';
        END IF;
      END IF;
      INSERT INTO clearing_agreement_history (agreement_id, version, action, actor, snapshot)
      VALUES (NEW.id, NEW.version, CASE WHEN TG_OP = 'INSERT' THEN 'created' WHEN NEW.status = 'ENDED' AND OLD.status <> 'ENDED' THEN 'ended' ELSE 'changed' END,
              COALESCE(CASE WHEN TG_OP = 'UPDATE' THEN NEW.ended_by END, NEW.created_by), to_jsonb(NEW));
      RETURN NEW;
    END $$;
    CREATE TRIGGER clearing_agreements_history AFTER INSERT OR UPDATE ON clearing_agreements
      FOR EACH ROW EXECUTE FUNCTION clearing_agreement_history_write();

    CREATE FUNCTION clearing_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = '55000';
    END $$;
    CREATE TRIGGER clearing_agreements_no_delete BEFORE DELETE ON clearing_agreements FOR EACH ROW EXECUTE FUNCTION clearing_refuse_change();
    CREATE TRIGGER clearing_agreement_history_immutable BEFORE UPDATE OR DELETE ON clearing_agreement_history FOR EACH ROW EXECUTE FUNCTION clearing_refuse_change();

    -- Where net receivers are paid (PayPal Payouts receiver).
    CREATE TABLE clearing_payees (
      party text PRIMARY KEY,
      paypal_receiver text NOT NULL,
      recipient_type text NOT NULL DEFAULT 'EMAIL' CHECK (recipient_type IN ('EMAIL', 'PHONE', 'PAYPAL_ID')),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    ---------------------------------------------------------------- ledger
    CREATE TABLE ledger_accounts (
      id bigserial PRIMARY KEY,
      owner text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('receivable', 'payable', 'settlement', 'suspense', 'fees', 'in_transit', 'cash')),
      currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (owner, kind, currency),
      UNIQUE (id, currency)
    );

    CREATE TABLE ledger_entries (
      id bigserial PRIMARY KEY,
      kind text NOT NULL,
      ref text NOT NULL UNIQUE,
      reverses_entry_id bigint UNIQUE REFERENCES ledger_entries (id),
      booking_id bigint,
      cycle_id uuid,
      memo text,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX ledger_entries_booking ON ledger_entries (booking_id) WHERE booking_id IS NOT NULL;
    CREATE INDEX ledger_entries_cycle ON ledger_entries (cycle_id) WHERE cycle_id IS NOT NULL;

    CREATE TABLE ledger_lines (
      id bigserial PRIMARY KEY,
      entry_id bigint NOT NULL REFERENCES ledger_entries (id),
      account_id bigint NOT NULL,
      currency char(3) NOT NULL,
      amount bigint NOT NULL CHECK (amount <> 0),
      FOREIGN KEY (account_id, currency) REFERENCES ledger_accounts (id, currency)
    );
    CREATE INDEX ledger_lines_entry ON ledger_lines (entry_id);
    CREATE INDEX ledger_lines_account ON ledger_lines (account_id);

    -- Checked at commit, once per inserted line: the entry's lines sum to zero in every currency.
    CREATE FUNCTION ledger_check_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      bad record;
    BEGIN
      SELECT currency, sum(amount) AS total INTO bad
        FROM ledger_lines WHERE entry_id = NEW.entry_id
        GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'ledger entry % does not balance in %: lines sum to %', NEW.entry_id, bad.currency, bad.total
          USING ERRCODE = '23514', CONSTRAINT = 'ledger_entry_balanced';
      END IF;
      RETURN NULL;
    END $$;
    CREATE CONSTRAINT TRIGGER ledger_lines_balanced AFTER INSERT ON ledger_lines
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();

    -- An entry without (at least two) lines is not an entry.
    CREATE FUNCTION ledger_check_entry_has_lines() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (SELECT count(*) FROM ledger_lines WHERE entry_id = NEW.id) < 2 THEN
        RAISE EXCEPTION 'ledger entry % has fewer than two lines', NEW.id USING ERRCODE = '23514', CONSTRAINT = 'ledger_entry_lines';
      END IF;
      RETURN NULL;
    END $$;
    CREATE CONSTRAINT TRIGGER ledger_entries_have_lines AFTER INSERT ON ledger_entries
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_has_lines();

    CREATE TRIGGER ledger_entries_immutable BEFORE UPDATE OR DELETE ON ledger_entries FOR EACH ROW EXECUTE FUNCTION clearing_refuse_change();
    CREATE TRIGGER ledger_lines_immutable BEFORE UPDATE OR DELETE ON ledger_lines FOR EACH ROW EXECUTE FUNCTION clearing_refuse_change();
    CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries FOR EACH STATEMENT EXECUTE FUNCTION clearing_refuse_change();
    CREATE TRIGGER ledger_lines_no_truncate BEFORE TRUNCATE ON ledger_lines FOR EACH STATEMENT EXECUTE FUNCTION clearing_refuse_change();

    ---------------------------------------------------------------- cycles
    CREATE TABLE clearing_cycles (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      period text NOT NULL CHECK (period ~ '^[0-9]{4}-(W[0-9]{2}|[0-9]{2})$'),
      currency char(3) NOT NULL,
      period_start timestamptz NOT NULL,
      period_end timestamptz NOT NULL,
      state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed', 'netted', 'settling', 'settled')),
      opened_at timestamptz NOT NULL DEFAULT now(),
      closed_at timestamptz,
      netted_at timestamptz,
      statements_at timestamptz,
      settling_at timestamptz,
      settled_at timestamptz,
      summary jsonb NOT NULL DEFAULT '{}',
      UNIQUE (period, currency)
    );

    ---------------------------------------------------------------- bookings
    CREATE TABLE clearing_bookings (
      id bigserial PRIMARY KEY,
      country_code varchar(2) NOT NULL,
      party_id varchar(3) NOT NULL,
      cdr_id text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('cdr', 'credit', 'adjustment')),
      cpo text NOT NULL,
      emsp text,
      currency char(3) NOT NULL,
      amount bigint NOT NULL,
      amount_excl_vat bigint NOT NULL,
      amount_incl_vat bigint,
      fee_cpo bigint NOT NULL DEFAULT 0,
      fee_emsp bigint NOT NULL DEFAULT 0,
      energy_kwh numeric(20, 4) NOT NULL DEFAULT 0,
      start_date_time timestamptz,
      end_date_time timestamptz NOT NULL,
      agreement_id uuid REFERENCES clearing_agreements (id),
      status text NOT NULL CHECK (status IN ('booked', 'held', 'disputed', 'voided')),
      hold_reason text,
      cycle_id uuid REFERENCES clearing_cycles (id),
      reverses_booking_id bigint REFERENCES clearing_bookings (id),
      credit_reference_id text,
      booked_at timestamptz NOT NULL DEFAULT now(),
      CHECK (status <> 'booked' OR cycle_id IS NOT NULL),
      CHECK (status <> 'held' OR hold_reason IS NOT NULL)
    );
    CREATE UNIQUE INDEX clearing_bookings_cdr ON clearing_bookings (country_code, party_id, cdr_id);
    CREATE INDEX clearing_bookings_cycle ON clearing_bookings (cycle_id, status);
    CREATE INDEX clearing_bookings_held ON clearing_bookings (cpo, emsp) WHERE status = 'held';
    CREATE INDEX clearing_bookings_credits_waiting ON clearing_bookings (country_code, party_id, credit_reference_id) WHERE status = 'held' AND kind = 'credit';
    CREATE UNIQUE INDEX clearing_bookings_reversed_once ON clearing_bookings (reverses_booking_id) WHERE reverses_booking_id IS NOT NULL;

    CREATE TABLE clearing_disputes (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      booking_id bigint NOT NULL REFERENCES clearing_bookings (id),
      opened_by text NOT NULL,
      reason text NOT NULL,
      evidence jsonb NOT NULL DEFAULT '[]',
      findings jsonb NOT NULL DEFAULT '[]',
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'upheld', 'rejected')),
      suspended boolean NOT NULL,
      opened_at timestamptz NOT NULL DEFAULT now(),
      resolved_at timestamptz,
      resolved_by text,
      resolution_note text,
      adjustment_booking_id bigint REFERENCES clearing_bookings (id)
    );
    CREATE UNIQUE INDEX clearing_disputes_one_open ON clearing_disputes (booking_id) WHERE status = 'open';

    CREATE TABLE clearing_pairs (
      cycle_id uuid NOT NULL REFERENCES clearing_cycles (id),
      emsp text NOT NULL,
      cpo text NOT NULL,
      cdr_count integer NOT NULL,
      amount bigint NOT NULL,
      amount_excl_vat bigint NOT NULL,
      amount_incl_vat bigint NOT NULL,
      fee_cpo bigint NOT NULL,
      fee_emsp bigint NOT NULL,
      energy_kwh numeric(24, 4) NOT NULL,
      PRIMARY KEY (cycle_id, emsp, cpo)
    );

    CREATE TABLE clearing_positions (
      cycle_id uuid NOT NULL REFERENCES clearing_cycles (id),
      party text NOT NULL,
      currency char(3) NOT NULL,
      receivable bigint NOT NULL,
      payable bigint NOT NULL,
      fees bigint NOT NULL,
      carried_in bigint NOT NULL,
      net bigint NOT NULL,
      settle_amount bigint NOT NULL,
      carry_out bigint NOT NULL,
      carried_to_cycle_id uuid REFERENCES clearing_cycles (id),
      CHECK (settle_amount + carry_out = net),
      PRIMARY KEY (cycle_id, party)
    );

    CREATE TABLE clearing_instructions (
      cycle_id uuid NOT NULL REFERENCES clearing_cycles (id),
      seq integer NOT NULL,
      from_party text NOT NULL,
      to_party text NOT NULL,
      amount bigint NOT NULL CHECK (amount > 0),
      PRIMARY KEY (cycle_id, seq)
    );

    CREATE TABLE clearing_statements (
      id text PRIMARY KEY,
      cycle_id uuid NOT NULL REFERENCES clearing_cycles (id),
      party text NOT NULL,
      currency char(3) NOT NULL,
      issued_at timestamptz NOT NULL DEFAULT now(),
      due_date date NOT NULL,
      content jsonb NOT NULL,
      approval_url text,
      UNIQUE (cycle_id, party)
    );

    ---------------------------------------------------------------- payments
    CREATE TABLE clearing_payout_batches (
      sender_batch_id text PRIMARY KEY,
      cycle_id uuid NOT NULL REFERENCES clearing_cycles (id),
      round integer NOT NULL,
      payout_batch_id text,
      batch_status text,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (cycle_id, round)
    );

    CREATE TABLE clearing_payments (
      id bigserial PRIMARY KEY,
      cycle_id uuid NOT NULL REFERENCES clearing_cycles (id),
      statement_id text NOT NULL REFERENCES clearing_statements (id),
      party text NOT NULL,
      currency char(3) NOT NULL,
      direction text NOT NULL CHECK (direction IN ('collect', 'payout')),
      amount bigint NOT NULL CHECK (amount > 0),
      status text NOT NULL CHECK (status IN ('created', 'pending', 'completed', 'failed')),
      request_id text NOT NULL UNIQUE,
      round integer NOT NULL DEFAULT 0,
      order_id text,
      approval_url text,
      capture_id text,
      sender_batch_id text REFERENCES clearing_payout_batches (sender_batch_id),
      sender_item_id text UNIQUE,
      payout_item_id text,
      transaction_id text,
      paypal_status text,
      refunded bigint NOT NULL DEFAULT 0,
      error jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    -- Never paid twice: one live (not failed) payment per cycle, party and direction.
    CREATE UNIQUE INDEX clearing_payments_once ON clearing_payments (cycle_id, party, direction) WHERE status <> 'failed';

    CREATE TABLE clearing_refunds (
      id bigserial PRIMARY KEY,
      dispute_id uuid NOT NULL UNIQUE REFERENCES clearing_disputes (id),
      payment_id bigint NOT NULL REFERENCES clearing_payments (id),
      amount bigint NOT NULL CHECK (amount > 0),
      request_id text NOT NULL UNIQUE,
      refund_id text,
      status text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE IF EXISTS clearing_refunds, clearing_payments, clearing_payout_batches, clearing_statements, clearing_instructions,
      clearing_positions, clearing_pairs, clearing_disputes, clearing_bookings, clearing_cycles,
      ledger_lines, ledger_entries, ledger_accounts, clearing_payees, clearing_agreement_history, clearing_agreements CASCADE;
    DROP FUNCTION IF EXISTS ledger_check_entry_balanced(), ledger_check_entry_has_lines(), clearing_refuse_change(), clearing_agreement_history_write();
  `);
}
