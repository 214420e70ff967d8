// Country codes a link's country rule may name: the officially assigned ISO 3166-1 alpha-2 codes, plus XK (Kosovo),
// which is user-assigned in ISO 3166 but used by the IP-to-country databases that resolve client addresses.

const ASSIGNED =
  "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ " +
  "BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR " +
  "CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
  "GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU " +
  "ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ " +
  "LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ " +
  "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF " +
  "PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI " +
  "SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR " +
  "TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW";

/** Every accepted country code, upper case. */
export const COUNTRY_CODES: ReadonlySet<string> = new Set(ASSIGNED.split(" "));

/** Most countries one rule may list. */
export const MAX_COUNTRIES = 64;

/**
 * Normalizes a list of country codes: trimmed, upper-cased, de-duplicated, in the order given; null when any entry
 * is not an assigned ISO 3166-1 alpha-2 code (or the list is longer than MAX_COUNTRIES).
 * @example parseCountryCodes(["de", " FR", "DE"]) // ["DE", "FR"]
 */
export function parseCountryCodes(list: readonly string[]): string[] | null {
  if (list.length > MAX_COUNTRIES) return null;
  const out: string[] = [];
  for (const entry of list) {
    const code = entry.trim().toUpperCase();
    if (!COUNTRY_CODES.has(code)) return null;
    if (!out.includes(code)) out.push(code);
  }
  return out;
}
