"""The OCR engine: RapidOCR (PP-OCR models shipped inside the package) on ONNX Runtime, on this machine, with no
network. It is optional: imported only here and only when a page is read; ``engine_available()`` is False when the
packages are not installed or ``ORDERLOOP_OCR`` is off, and intake then works as without it.

A page is prepared before it is read: turned upright by its EXIF orientation (a phone photo), its red channel kept
as the grey image (a red stamp over the table disappears: red is bright in the red channel, black print stays
dark), and its lighting evened (divided by a blurred copy of itself, so a shadow across a photo is lifted). Only the
models inside the package are used; naming other models would download them, which never happens here."""
import importlib.util
import io
import threading
from dataclasses import dataclass

from django.conf import settings

from orderloop.orders.reading.understanding import TextLine

PDF_DPI = 200  # PDF pages are rendered at this resolution before reading
MAX_SIDE = 1600  # the detector's longest side: ~600 MB at most, the same fields read as at 2000
PREPARED_SIDE = 2400  # a page is read at most this many pixels long (an A4 page at about 200 dpi)
MAX_PAGES = 10  # a scan of more pages is read up to this one
_engine = None
_lock = threading.Lock()


def engine_available() -> bool:
    """Whether pages can be read here: the engine's packages are installed and ``ORDERLOOP_OCR`` is on."""
    if not settings.ORDERLOOP_OCR:
        return False
    return all(importlib.util.find_spec(name) is not None for name in ("rapidocr", "onnxruntime", "numpy"))


def _rapidocr():
    global _engine
    with _lock:
        if _engine is None:
            from rapidocr import RapidOCR
            threads = settings.ORDERLOOP_OCR_THREADS
            _engine = RapidOCR(params={
                "Global.max_side_len": MAX_SIDE, "Global.log_level": "warning",
                "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": threads,
            })
        return _engine


@dataclass
class Page:
    """One page as read: its prepared image (PNG bytes, what the confirming page shows the boxes on), its size, and
    the lines of text read off it."""
    number: int
    png: bytes
    width: int
    height: int
    lines: list[TextLine]


def page_images(content: bytes, content_type: str) -> list:
    """The pages of an uploaded scan as Pillow images: a PDF's pages rendered at ``PDF_DPI`` (at most
    ``MAX_PAGES``), an image turned upright by its EXIF orientation."""
    from PIL import Image, ImageOps
    if content_type == "application/pdf":
        import pypdfium2
        document = pypdfium2.PdfDocument(content)
        try:
            return [document[index].render(scale=PDF_DPI / 72).to_pil().convert("RGB")
                    for index in range(min(len(document), MAX_PAGES))]
        finally:
            document.close()
    image = Image.open(io.BytesIO(content))
    image = ImageOps.exif_transpose(image)
    return [image.convert("RGB")]


def page_prepared(image):
    """The page as the engine reads it best: the red channel as grey (a red stamp gone), the lighting evened."""
    import numpy
    from PIL import Image, ImageFilter
    longest = max(image.size)
    if longest > PREPARED_SIDE:  # 300 dpi is more than reading needs: the work grows with the pixels
        image = image.resize((image.width * PREPARED_SIDE // longest, image.height * PREPARED_SIDE // longest), Image.LANCZOS)
    red = image.getchannel("R")
    radius = max(8, min(red.size) // 40)
    background = red.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.GaussianBlur(radius))
    page = numpy.asarray(red, dtype=numpy.float32)
    light = numpy.maximum(numpy.asarray(background, dtype=numpy.float32), 1.0)
    evened = numpy.clip(page / light * 255.0, 0, 255).astype(numpy.uint8)
    return Image.fromarray(evened).convert("RGB")


def page_read(image, *, number: int = 1) -> Page:
    """The lines of text on one page, each with its confidence and box."""
    import numpy
    prepared = page_prepared(image)
    result = _rapidocr()(numpy.asarray(prepared))
    lines = []
    if result.boxes is not None:
        for box, text, score in zip(result.boxes, result.txts, result.scores, strict=True):
            lines.append(TextLine(text=str(text), confidence=round(float(score), 3),
                                  box=[[round(float(x), 1), round(float(y), 1)] for x, y in box], page=number))
    shown = io.BytesIO()
    prepared.convert("L").save(shown, format="PNG", optimize=True)
    return Page(number=number, png=shown.getvalue(), width=prepared.width, height=prepared.height, lines=lines)


def document_read(content: bytes, content_type: str, *, progress=None) -> list[Page]:
    """Every page of a scan or photo read; ``progress(done, of)`` is called after each page."""
    images = page_images(content, content_type)
    pages = []
    for number, image in enumerate(images, 1):
        pages.append(page_read(image, number=number))
        if progress is not None:
            progress(number, len(images))
    return pages
