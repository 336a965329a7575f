/**
 * containers/image's checks of `[aliases]` (pkg/sysregistriesv2/shortnames.go at df7e80d2:
 * `validateShortName` for each name, `parseShortNameValue` for each non-empty value), on
 * `reference.Parse` — the un-normalised grammar of c/image's docker/reference/regexp.go:
 * `[domain/]path-component(/path-component)*[:tag][@digest]`, the whole name at most 255
 * characters, path components lower case; the domain is the first component only when another
 * follows it.
 */
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IPV6_ADDRESS = '\\[(?:[a-fA-F0-9:.]+)\\]';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|${IPV6_ADDRESS})(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const REFERENCE = new RegExp(
  `^(?:(${DOMAIN})/)?(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$`,
);
const NAME_TOTAL_LENGTH_MAX = 255;

interface ParsedReference {
  domain: string;
  tagged: boolean;
  digested: boolean;
}

/** reference.Parse: the parts, or the reason it fails. */
function parseReference(text: string): ParsedReference | string {
  if (text === '') return 'repository name must have at least one component';
  const match = REFERENCE.exec(text);
  if (match === null)
    return REFERENCE.test(text.toLowerCase())
      ? 'repository name must be lowercase'
      : 'invalid reference format';
  const domain = match[1] ?? '';
  const name = domain === '' ? (match[2] as string) : `${domain}/${match[2]}`;
  if (name.length > NAME_TOTAL_LENGTH_MAX)
    return `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`;
  return { domain, tagged: match[3] !== undefined, digested: match[4] !== undefined };
}

const namesRegistry = (domain: string) => /[.:]/.test(domain) || domain === 'localhost';

/** `validateShortName`: the message c/image gives for an alias name, or undefined. */
export function shortNameProblem(name: string): string | undefined {
  const parsed = parseReference(name);
  if (typeof parsed === 'string')
    return `cannot parse short name: ${JSON.stringify(name)}: ${parsed}`;
  if (parsed.digested) return `invalid short name ${JSON.stringify(name)}: must not contain digest`;
  if (parsed.tagged) return `invalid short name ${JSON.stringify(name)}: must not contain tag`;
  if (namesRegistry(parsed.domain))
    return `invalid short name ${JSON.stringify(name)}: must not contain registry`;
  return undefined;
}

/** `parseShortNameValue`: the message c/image gives for an alias value, or undefined. */
export function aliasValueProblem(value: string): string | undefined {
  const parsed = parseReference(value);
  if (typeof parsed === 'string') return `parsing alias ${JSON.stringify(value)}: ${parsed}`;
  if (parsed.digested) return `invalid alias ${JSON.stringify(value)}: must not contain digest`;
  if (parsed.tagged) return `invalid alias ${JSON.stringify(value)}: must not contain tag`;
  if (!namesRegistry(parsed.domain))
    return `invalid alias ${JSON.stringify(value)}: must contain registry and repository`;
  return undefined;
}

/** Every problem of an `[aliases]` table (an empty value resets an alias and is not checked). */
export function aliasProblems(aliases: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(aliases)) {
    const nameProblem = shortNameProblem(name);
    if (nameProblem !== undefined) problems.push(nameProblem);
    if (value === '') continue;
    const valueProblem = aliasValueProblem(value);
    if (valueProblem !== undefined) problems.push(valueProblem);
  }
  return problems;
}
