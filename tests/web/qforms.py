"""Reading a questionnaire page's form as a browser would post it, for the tests."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from starlette.testclient import TestClient


class _Form(HTMLParser):
    """The values a browser posts for the page's first form with ``action``."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.done = False
        self.values: dict[str, str] = {}
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.done and a.get("action", "").startswith(self.action):
            self.inside = True
        if not self.inside:
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind == "radio":
                if "checked" in a:
                    self.values[a["name"]] = a.get("value", "")
            elif "name" in a:
                self.values[a["name"]] = a.get("value", "")
        elif tag == "select":
            self.select = a["name"]
            self.values.setdefault(self.select, "")
        elif tag == "option" and self.select is not None and "selected" in a:
            self.values[self.select] = a.get("value", "")
        elif tag == "textarea":
            self.textarea = a["name"]
            self.values[self.textarea] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside, self.done = False, True
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.inside and self.textarea is not None:
            # A browser drops the one newline right after <textarea>.
            text = self.values[self.textarea] + data
            self.values[self.textarea] = re.sub(r"^\n", "", text)


def form_of(html: str, action: str) -> dict[str, str]:
    parser = _Form(action)
    parser.feed(html)
    assert parser.done, f"the page has a form posting to {action}"
    return parser.values


def post_page(
    client: TestClient, url: str, changes: dict[str, str] | None = None, **params: str
) -> tuple[int, str]:
    """Open the page at ``url``, change ``changes`` in its form and press Save (no
    JavaScript: the whole page is posted). Returns the answer's status and location."""
    page = client.get(url, params=params or None)
    assert page.status_code == 200, page.text
    action = url.split("?")[0]
    values = {**form_of(page.text, action), **(changes or {})}
    answer = client.post(url, data=values, params=params or None, follow_redirects=False)
    return answer.status_code, answer.headers.get("location", "")
