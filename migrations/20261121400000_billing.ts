import type { Knex } from 'knex';

// Billing on top of the clearing house's statements: billing contacts per party, payment tracking
// per statement (payments received, late fees, write-offs), overdue reminder steps per agreement,
// every email the hub sends (an outbox that is also the record: to, when, what, outcome), and the
// portal's people: users, their parties, sessions, one-time login links and login attempts.
// Amounts are integers at the clearing scale of 4 decimals (1 EUR = 10000).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE billing_contacts (
      id bigserial PRIMARY KEY,
      party text NOT NULL CHECK (party ~ '^[A-Z0-9]{2}-[A-Z0-9]{3}$'),
      email text NOT NULL CHECK (email ~ '^[^@\\s]+@[^@\\s]+$'),
      name text,
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by text NOT NULL
    );
    CREATE UNIQUE INDEX billing_contacts_once ON billing_contacts (party, lower(email));

    -- Reminder schedule and late fee per agreement; an agreement without a row uses the defaults.
    CREATE TABLE billing_terms (
      agreement_id uuid PRIMARY KEY REFERENCES clearing_agreements (id),
      reminder_days integer[] NOT NULL DEFAULT '{3,10,20}',
      escalation_days integer NOT NULL DEFAULT 30 CHECK (escalation_days >= 0),
      late_fee_fixed bigint NOT NULL DEFAULT 0 CHECK (late_fee_fixed >= 0),
      late_fee_ppm integer NOT NULL DEFAULT 0 CHECK (late_fee_ppm BETWEEN 0 AND 1000000),
      updated_at timestamptz NOT NULL DEFAULT now(),
      updated_by text NOT NULL
    );

    -- One row per issued statement: what is owed, by when, and what happened since.
    CREATE TABLE billing_statements (
      statement_id text PRIMARY KEY REFERENCES clearing_statements (id),
      cycle_id uuid NOT NULL REFERENCES clearing_cycles (id),
      party text NOT NULL,
      currency char(3) NOT NULL,
      direction text NOT NULL CHECK (direction IN ('party_pays', 'hub_pays', 'none')),
      amount_due bigint NOT NULL CHECK (amount_due >= 0),
      issued_at timestamptz NOT NULL,
      due_date date NOT NULL,
      agreement_id uuid REFERENCES clearing_agreements (id),
      written_off_at timestamptz,
      written_off_by text,
      write_off_note text,
      escalated_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX billing_statements_party ON billing_statements (party, issued_at);

    CREATE TABLE billing_payments (
      id bigserial PRIMARY KEY,
      statement_id text NOT NULL REFERENCES billing_statements (statement_id),
      method text NOT NULL CHECK (method IN ('paypal', 'bank_transfer', 'payout')),
      amount bigint NOT NULL CHECK (amount > 0),
      reference text NOT NULL,
      received_at timestamptz NOT NULL,
      recorded_by text NOT NULL,
      note text,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (statement_id, method, reference)
    );

    CREATE TABLE billing_charges (
      id bigserial PRIMARY KEY,
      statement_id text NOT NULL REFERENCES billing_statements (statement_id),
      kind text NOT NULL CHECK (kind IN ('late_fee')),
      amount bigint NOT NULL CHECK (amount > 0),
      ledger_ref text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (statement_id, kind)
    );

    -- Each reminder step of a statement happens once (fired or skipped because a later one was due).
    CREATE TABLE billing_reminders (
      statement_id text NOT NULL REFERENCES billing_statements (statement_id),
      step text NOT NULL,
      days_after_due integer NOT NULL,
      outcome text NOT NULL CHECK (outcome IN ('sent', 'skipped')),
      at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (statement_id, step)
    );

    -- Every email: queued, sent (once: dedupe_key), retried on temporary failure, or failed.
    CREATE TABLE billing_messages (
      id bigserial PRIMARY KEY,
      dedupe_key text NOT NULL UNIQUE,
      kind text NOT NULL CHECK (kind IN ('statement', 'reminder', 'escalation', 'login_link')),
      statement_id text REFERENCES billing_statements (statement_id),
      party text,
      recipient text NOT NULL,
      subject text NOT NULL,
      payload jsonb NOT NULL DEFAULT '{}',
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      last_error text,
      smtp_message_id text,
      smtp_response text,
      attachments text[] NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      sending_at timestamptz,
      sent_at timestamptz
    );
    CREATE INDEX billing_messages_due ON billing_messages (next_attempt_at) WHERE status = 'pending';
    CREATE INDEX billing_messages_statement ON billing_messages (statement_id);

    ---------------------------------------------------------------- portal
    CREATE TABLE portal_users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text NOT NULL CHECK (email ~ '^[^@\\s]+@[^@\\s]+$'),
      name text,
      is_admin boolean NOT NULL DEFAULT false,
      password_hash text,
      disabled_at timestamptz,
      last_login_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by text NOT NULL
    );
    CREATE UNIQUE INDEX portal_users_email ON portal_users (lower(email));

    CREATE TABLE portal_user_parties (
      user_id uuid NOT NULL REFERENCES portal_users (id) ON DELETE CASCADE,
      party text NOT NULL CHECK (party ~ '^[A-Z0-9]{2}-[A-Z0-9]{3}$'),
      PRIMARY KEY (user_id, party)
    );

    -- Session and login-link tokens are stored only as keyed hashes.
    CREATE TABLE portal_sessions (
      id text PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES portal_users (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      ip text
    );
    CREATE INDEX portal_sessions_user ON portal_sessions (user_id);

    CREATE TABLE portal_login_tokens (
      token_hash text PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES portal_users (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      used_at timestamptz
    );

    CREATE TABLE portal_login_attempts (
      id bigserial PRIMARY KEY,
      key text NOT NULL,
      success boolean NOT NULL,
      at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX portal_login_attempts_key ON portal_login_attempts (key, at);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE IF EXISTS portal_login_attempts, portal_login_tokens, portal_sessions, portal_user_parties, portal_users,
      billing_messages, billing_reminders, billing_charges, billing_payments, billing_statements, billing_terms, billing_contacts CASCADE;
  `);
}
