"""Reading the product's PDFs as a reader's viewer would: the text pypdf extracts, the fonts each page uses and
whether the file carries them, and the filled marks (bars, wedges) drawn in a given colour."""
import io

from pypdf import PdfReader
from pypdf.generic import ContentStream

FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _descriptors(font):
    """A font's descriptors: its own, or (a Type0 composite font) its descendants'."""
    font = font.get_object()
    if "/FontDescriptor" in font:
        yield font["/BaseFont"], font["/FontDescriptor"].get_object()
    for descendant in font.get("/DescendantFonts", []):
        yield from _descriptors(descendant)
    if "/FontDescriptor" not in font and "/DescendantFonts" not in font:
        yield font["/BaseFont"], None  # a standard 14 font: never embedded


def _entry(dictionary, key) -> dict:
    value = dictionary.get(key)
    return value.get_object() if value is not None else {}


def page_fonts(content: bytes) -> list[tuple[int, str, bool]]:
    """(page number, font name, embedded) for every font every page lists, in its form XObjects too."""
    found = []
    for number, page in enumerate(PdfReader(io.BytesIO(content)).pages, 1):
        resources = [page.get("/Resources", {})]
        while resources:
            resource = resources.pop().get_object()
            for font in resource.get("/Font", {}).get_object().values():
                for name, descriptor in _descriptors(font):
                    found.append((number, str(name), bool(descriptor) and any(key in descriptor for key in FONT_FILES)))
            for xobject in _entry(resource, "/XObject").values():
                if "/Resources" in xobject.get_object():
                    resources.append(_entry(xobject.get_object(), "/Resources"))
    return found


def filled_marks(content: bytes) -> dict[tuple, int]:
    """How many paths each fill colour (an RGB tuple rounded to 3 places) fills, over every page."""
    counts: dict[tuple, int] = {}
    reader = PdfReader(io.BytesIO(content))
    for page in reader.pages:
        colour = None
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"rg":
                colour = tuple(round(float(value), 3) for value in operands)
            elif operator in (b"f", b"f*", b"F", b"B", b"B*", b"b", b"b*") and colour is not None:
                counts[colour] = counts.get(colour, 0) + 1
    return counts


def rgb(hex_colour: str) -> tuple:
    return tuple(round(int(hex_colour[i:i + 2], 16) / 255, 3) for i in (1, 3, 5))
