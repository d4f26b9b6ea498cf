"""The console in a real browser: Playwright driving Debian's Chromium (issue 10)."""
