// The shop's one rule for a return URL, as Shop.ServiceDefaults/Security/LocalUrl.cs states it for the services (it says
// why): a path on this site. Control characters and backslashes, raw or percent-encoded, and a second slash after the
// first are refused before resolving, since browsers drop tabs and newlines and read "\" as "/"; the rest must resolve
// to this origin with a path that starts with a single slash.
const Unsafe = /[\u0000-\u001F\u007F-\u009F\\]|%(?:[01][0-9A-F]|7F|5C)|^\/(?:\/|%2F)/i;
const MaxLength = 2048;

export function isLocalUrl(value) {
  if (typeof value !== "string" || value.length === 0 || value.length > MaxLength || value[0] !== "/" || Unsafe.test(value)) return false;
  let url;
  try {
    url = new URL(value, location.origin);
  } catch {
    return false;
  }
  return url.origin === location.origin && !url.pathname.startsWith("//");
}

export function localUrlOrHome(value) {
  return isLocalUrl(value) ? value : "/";
}
