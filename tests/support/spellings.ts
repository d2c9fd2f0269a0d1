const hex = (c: string) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/**
 * A route's path (its `:params` filled with `value`), and that path spelled every other way a
 * server or a proxy might take for it: case, slashes, dot segments, percent-encoding, `;` parameters.
 */
export function spellings(template: string, value: string): string[] {
  const segments = template
    .split('/')
    .slice(1)
    .map((s) => (s.startsWith(':') ? { param: true, text: value } : { param: false, text: s }));
  const plain = segments.map((s) => s.text);
  const at = (i: number, f: (s: string) => string) => `/${plain.map((s, j) => (j === i ? f(s) : s)).join('/')}`;
  const literals = segments.flatMap((s, i) => (s.param || !s.text ? [] : [i]));
  const eachLiteral = (f: (s: string) => string) => literals.map((i) => at(i, f));
  const everyLiteral = (f: (s: string) => string) => `/${segments.map((s) => (s.param || !s.text ? s.text : f(s.text))).join('/')}`;
  const eachJoint = (joint: string) =>
    plain.slice(1).map((_, k) => `/${plain.slice(0, k + 1).join('/')}${joint}${plain.slice(k + 1).join('/')}`);
  const path = `/${plain.join('/')}`;
  return [
    ...new Set(
      [
        path,
        // case
        everyLiteral((s) => s.toUpperCase()),
        everyLiteral((s) => s[0]!.toUpperCase() + s.slice(1)),
        ...eachLiteral((s) => s.toUpperCase()),
        // a trailing slash, doubled slashes
        `${path}/`,
        `/${path}`,
        ...eachJoint('//'),
        // dot segments, plain and encoded
        ...eachJoint('/./'),
        `/x/..${path}`,
        `/${plain[0]}/x/../${plain.slice(1).join('/')}`,
        `${path}/.`,
        `${path}/..`,
        `/x/%2e%2e${path}`,
        `/x/%2E%2E${path}`,
        `${path}/%2e`,
        // percent-encoding
        ...eachLiteral((s) => hex(s[0]!) + s.slice(1)),
        everyLiteral((s) => [...s].map(hex).join('')),
        // ; parameters
        ...eachLiteral((s) => `${s};x=1`),
        `${path};`,
        `${path};jsessionid=1`,
        // encoded slashes and backslashes
        ...eachJoint('%2F'),
        ...eachJoint('\\'),
        eachJoint('%2f')[0],
        eachJoint('%5C')[0],
      ].filter((p): p is string => p !== undefined),
    ),
  ];
}
