/**
 * Every page of a list call that pages with a Marker, their items in order. Bounded: paging that
 * never ends (a bug on either side) stops after `maxPages` instead of looping.
 */
export async function allPages<T>(
  page: (marker: string | undefined) => Promise<{ items: T[]; next: string | undefined }>,
  maxPages = 100,
): Promise<T[]> {
  const all: T[] = [];
  let marker: string | undefined;
  for (let n = 0; n < maxPages; n++) {
    const { items, next } = await page(marker);
    all.push(...items);
    if (!next) break;
    marker = next;
  }
  return all;
}
