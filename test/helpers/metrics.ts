/** Every sample of a metric in a server's /metrics, by its label text ('' for none). */
export async function metricSamples(baseUrl: string, name: string): Promise<Map<string, number>> {
  const response = await fetch(`${baseUrl}/metrics`);
  if (response.status !== 200) {
    throw new Error(`/metrics answered ${response.status}`);
  }
  const found = new Map<string, number>();
  const line = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm');
  for (const match of (await response.text()).matchAll(line)) {
    found.set(match[1] ?? '', Number(match[2]));
  }
  return found;
}
