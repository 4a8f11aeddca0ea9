// One line per bad key for every zod validation error the project reports (config, tool inputs,
// API bodies): `policy.rules.0.tier: Invalid option ...`.

/** Turn zod issues into one line per bad key. */
export function formatIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('\n');
}
