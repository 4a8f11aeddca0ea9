// Connection URLs go into messages and logs without their passwords.

/** Hide the password of a connection URL before it goes into a message. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}
