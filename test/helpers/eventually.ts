/** Polls until `check` holds or the attempts run out (a bound, not a timing assertion). */
export async function eventually(check: () => boolean | Promise<boolean>, attempts = 100, pauseMs = 100): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  return false;
}
