import type { Knex } from 'knex';

// Open routing of CANCEL_RESERVATION (src/hub/commands/reservations.ts): a CancelReservation names
// no location, only the eMSP's reservation_id, so the hub remembers which CPO accepted each
// RESERVE_NOW it forwarded. One row per eMSP, reservation_id (a CiString, stored upper-case) and
// CPO: a RESERVE_NOW with the same id to the same CPO replaces the row, as the reservation is
// replaced at the CPO. callback_id is that RESERVE_NOW's hub callback, whose CommandResult says
// whether the charge point made the reservation (`result`); cancel_callback_id is the latest
// accepted CANCEL_RESERVATION's, whose result ends it. The worker forgets a row at forget_after
// (expiry_date plus CALLBACK_TTL_HOURS, when its callback stops taking results).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE command_reservations (
      country_code text NOT NULL CHECK (country_code = upper(country_code)),
      party_id text NOT NULL CHECK (party_id = upper(party_id)),
      reservation_id text NOT NULL CHECK (reservation_id = upper(reservation_id)),
      cpo_country_code text NOT NULL CHECK (cpo_country_code = upper(cpo_country_code)),
      cpo_party_id text NOT NULL CHECK (cpo_party_id = upper(cpo_party_id)),
      callback_id uuid NOT NULL,
      result text,
      cancel_callback_id uuid,
      expiry_date timestamptz NOT NULL,
      forget_after timestamptz NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (country_code, party_id, reservation_id, cpo_country_code, cpo_party_id)
    );
  `);
  await knex.raw('CREATE INDEX command_reservations_callback ON command_reservations (callback_id)');
  await knex.raw('CREATE INDEX command_reservations_cancel ON command_reservations (cancel_callback_id) WHERE cancel_callback_id IS NOT NULL');
  await knex.raw('CREATE INDEX command_reservations_forget ON command_reservations (forget_after)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE command_reservations');
}
