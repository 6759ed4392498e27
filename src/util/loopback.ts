/** True when `host` is a loopback address or name (`localhost`, `::1` bracketed or not, 127.0.0.0/8). */
export function isLoopbackAddress(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127(\.\d{1,3}){3}$/.test(h);
}
