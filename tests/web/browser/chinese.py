"""What a person reads on a Chinese page must be Chinese: no English sentence, no raw code.

``english_on(page)`` reads what the browser shows — the visible text of the page, the SVG
labels bpmn-js draws, and the words a person or a screen reader meets in attributes (title,
aria-label, placeholder, alt, a button's value) — and returns every word of Latin letters that
is not an accepted exception. Raw codes (``finance_officer``, ``in_progress``) are words of
Latin letters, so they are caught too.

Accepted: the other language's own name in the language switch (English); what people
typed or chose themselves and the page marks ``translate="no"`` (a login name, a file's name,
a bank's reference); words with a digit in them (references, masked numbers); file formats,
standards and units people know by their Latin names (PDF, JPEG, PNG, CSV, Excel, BPMN, DMN,
KB, MB); the bpmn.io watermark, whose licence requires it as it is; the currency and time zone
abbreviations (CNY, UTC); and hexadecimal digests.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page

ACCEPTED = frozenset(
    {
        "English",
        "PDF",
        "JPEG",
        "JPG",
        "PNG",
        "CSV",
        "Excel",
        "xlsx",
        "CNY",
        "UTC",
        "BPMN",
        "DMN",
        "KB",
        "MB",
    }
)
LOGIN_NAME = re.compile(r"^[a-z]{2,}\.[a-z0-9]+$")
HEX = re.compile(r"^[0-9a-f]{6,}$")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*[A-Za-z0-9]|[A-Za-z]")

# Text nodes a person sees (not hidden, not in script/style/template), SVG text included, and
# the attributes people read or hear.
_READ = """() => {
  const seen = [];
  const skipped = el => el.closest('[translate="no"], .bjs-powered-by') !== null;
  const visible = el => {
    for (let e = el; e; e = e.parentElement) {
      const style = getComputedStyle(e);
      if (style.display === 'none' || style.visibility === 'hidden') return false;
    }
    return true;
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || ['SCRIPT', 'STYLE', 'TEMPLATE', 'NOSCRIPT'].includes(parent.tagName)) continue;
    const text = node.textContent.trim();
    if (text && visible(parent) && !skipped(parent)) seen.push(text);
  }
  for (const el of document.querySelectorAll('[title], [aria-label], [placeholder], [alt]')) {
    if (skipped(el)) continue;
    for (const name of ['title', 'aria-label', 'placeholder', 'alt']) {
      const value = el.getAttribute(name);
      if (value) seen.push(value);
    }
  }
  const buttons = 'input[type=submit][value], input[type=button][value]';
  for (const el of document.querySelectorAll(buttons)) seen.push(el.value);
  seen.push(document.title);
  return seen;
}"""


def english_words(texts: list[str]) -> list[str]:
    """The words of ``texts`` that are Latin letters and not an accepted exception."""
    found: list[str] = []
    for text in texts:
        for word in WORD.findall(text):
            bare = word.strip(".-_")
            if (
                not bare
                or bare in ACCEPTED
                or LOGIN_NAME.match(bare)
                or HEX.match(bare.lower())
                or re.search(r"\d", bare)  # a reference, a masked number
                or not re.search(r"[A-Za-z]{2,}", bare)  # a lone letter: an ID's final X
            ):
                continue
            found.append(bare)
    return found


def english_on(page: Page) -> list[str]:
    """Latin words a person meets on ``page`` (empty on a page that is all Chinese)."""
    return english_words(page.evaluate(_READ))
