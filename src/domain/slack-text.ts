// Slack mrkdwn: the escaping Slack requires, and SQL as a code block that cannot break out of it.

/** Slack needs &, < and > escaped in mrkdwn text. */
export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** a section's text is capped at 3000 characters by Slack */
const SQL_SHOWN = 2500;

/** SQL as a Slack code block: escaped, capped, with no ``` inside that could end it early. */
export function sqlBlockText(sql: string): string {
  const cut = sql.length > SQL_SHOWN ? `${sql.slice(0, SQL_SHOWN)}\n… (${sql.length - SQL_SHOWN} more characters)` : sql;
  // a ``` inside the SQL would end the code block early
  return '```' + esc(cut.replace(/```/g, '`\u200b``')) + '```';
}
