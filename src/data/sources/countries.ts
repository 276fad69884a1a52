// Loader for countries-list: 250 countries and territories with capital, continent, currencies, languages.
// Licence: MIT (Annexare Studio). Reads the package's JSON files directly.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageDir } from './package-dir.js';

export interface Country {
  /** ISO 3166-1 alpha-2 code, e.g. "FR". */
  iso2: string;
  name: string;
  /** Capital in English; "" where the country has none listed. */
  capital: string;
  /** Continent name, e.g. "Europe". */
  continent: string;
  /** Currency names, e.g. ["Euro"], in the dataset's order. */
  currencies: string[];
  currencyCodes: string[];
  /** Language names in English, e.g. ["French"]. */
  languages: string[];
  /** Set for territories that belong to another country (ISO code of the owner). */
  partOf?: string;
}

let cache: Country[] | undefined;

function readJson(dir: string, file: string): Record<string, any> {
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, any>;
}

/** Every country, sorted by ISO code. */
export function loadCountries(): Country[] {
  if (cache) return cache;
  const dir = packageDir('countries-list');
  const countries = readJson(dir, 'countries.min.json');
  const continents = readJson(dir, 'continents.min.json');
  const currencies = readJson(dir, 'currencies.min.json');
  const languages = readJson(dir, 'languages.min.json');
  cache = Object.keys(countries).sort().map((iso2) => {
    const c = countries[iso2] as Record<string, any>;
    const continent = continents[c.continent];
    if (typeof c.name !== 'string' || typeof continent !== 'string') {
      throw new Error(`${join(dir, 'countries.min.json')}: country ${iso2} lacks a name or a known continent`);
    }
    const codes: string[] = Array.isArray(c.currency) ? c.currency : [];
    const out: Country = {
      iso2, name: c.name, capital: String(c.capital ?? ''), continent,
      currencies: codes.map((k) => String(currencies[k]?.name ?? k)),
      currencyCodes: codes,
      languages: (Array.isArray(c.languages) ? c.languages : []).map((k: string) => String(languages[k]?.name ?? k)),
    };
    if (typeof c.partOf === 'string') out.partOf = c.partOf;
    return out;
  });
  return cache;
}
