// Times in the portal are UTC and say so: partners in different time zones read the same instant,
// and nobody takes 14:03 for their own local time.
const utc = (at: Date | string, length: number): string => {
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? String(at ?? '') : `${date.toISOString().slice(0, length).replace('T', ' ')} UTC`;
};

/** "2026-11-21 14:03 UTC" */
export const utcMinute = (at: Date | string) => utc(at, 16);

/** "2026-11-21 14:03:27 UTC", for the moments a CDR's duration is read from. */
export const utcSecond = (at: Date | string) => utc(at, 19);
