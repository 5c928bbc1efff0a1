"""Read a page the way a browser would, so tests assert what is there (a link, a checked box, a
pressed button) rather than how the template happens to spell it (attribute order, spacing)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    start: int = 0  # this element and its descendants are the document's elements[start:end]
    end: int = 0
    doc: list[Element] = field(default_factory=list, repr=False)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    @property
    def words(self) -> str:
        return " ".join(self.text.split())

    def find_all(self, tag: str | None = None, *, class_: str | None = None, **attrs) -> list:
        return _match(self.doc[self.start + 1 : self.end], tag, class_, attrs)

    def find(self, tag: str | None = None, *, class_: str | None = None, **attrs) -> Element:
        found = self.find_all(tag, class_=class_, **attrs)
        assert found, f"no <{tag or '*'} class={class_} {attrs}> in <{self.tag} {self.attrs}>"
        return found[0]


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open: list[Element] = []
        self.text = ""

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v if v is not None else "" for k, v in attrs}, doc=self.elements)
        element.start = len(self.elements)
        self.elements.append(element)
        if tag in VOID:
            element.end = element.start + 1
        else:
            self.open.append(element)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        for depth in range(len(self.open) - 1, -1, -1):
            if self.open[depth].tag == tag:
                for element in self.open[depth:]:
                    element.end = len(self.elements)
                del self.open[depth:]
                return

    def handle_data(self, data):
        self.text += data
        for element in self.open:
            element.text += data


def parse(page: str | bytes) -> Element:
    """The document as a root element (find / find_all search all of it)."""
    if isinstance(page, bytes):
        page = page.decode()
    parser = _Parser()
    parser.feed(page)
    parser.close()
    for element in parser.open:
        element.end = len(parser.elements)
    root = Element("#document", {}, doc=parser.elements)
    root.start, root.end = -1, len(parser.elements)
    root.text = parser.text
    return root


def _match(elements, tag, class_, attrs) -> list[Element]:
    wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
    return [
        e
        for e in elements
        if (tag is None or e.tag == tag)
        and (class_ is None or class_ in e.classes)
        and all(
            (name in e.attrs) if value is True else e.attrs.get(name) == str(value)
            for name, value in wanted.items()
        )
    ]


GALLERY_LINK = re.compile(r"^/gallery/(\d+)/$")


def gallery_items(page: str | bytes | Element) -> list[int]:
    """Ids of the gallery items a page (or a part of it) links to, in page order, each once."""
    ids = []
    for link in (page if isinstance(page, Element) else parse(page)).find_all("a"):
        match = GALLERY_LINK.match(link.attrs.get("href", ""))
        if match and int(match.group(1)) not in ids:
            ids.append(int(match.group(1)))
    return ids
