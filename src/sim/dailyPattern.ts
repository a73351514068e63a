// How busy charging is over a day, relative to the day's average (1.0): quiet at night, a morning
// peak at work chargers, a larger evening peak at home and destination chargers. Pure.
const HOURLY = [0.25, 0.15, 0.1, 0.1, 0.15, 0.35, 0.8, 1.4, 1.7, 1.3, 1.0, 1.0, 1.1, 1.0, 0.95, 1.0, 1.3, 1.8, 2.0, 1.7, 1.3, 0.9, 0.6, 0.4];
const MEAN = HOURLY.reduce((a, b) => a + b, 0) / HOURLY.length;

/** Relative session rate at a time of day (hours, 0–24, fractional), interpolated between hours. */
export function dailyRate(hourOfDay: number): number {
  const h = ((hourOfDay % 24) + 24) % 24;
  const i = Math.floor(h);
  const next = HOURLY[(i + 1) % 24];
  return (HOURLY[i] + (next - HOURLY[i]) * (h - i)) / MEAN;
}
